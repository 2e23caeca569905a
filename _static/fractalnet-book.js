// The book's own script (Jupyter Book adds every script in _static/ to every page).
// sphinx-copybutton's buttons show an icon and a tooltip only: give them a name a screen reader
// can say. They are added when the page's DOM is ready, so this runs at "load".
window.addEventListener("load", function () {
  document.querySelectorAll("button.copybtn:not([aria-label])").forEach(function (button) {
    button.setAttribute("aria-label", "Copy the code");
  });
});

// Search results quote the page around the word searched for. Sphinx takes that text from
// the whole page, collapsed code and the page's buttons included, so an excerpt could open
// with a chapter's hidden set-up cell, or be the download button's ".ipynb" and the page's
// contents when the word is in collapsed code alone. Quote what a reader sees: the title,
// the prose and the code cells left open, with runs of blank space made one.
document.addEventListener("DOMContentLoaded", function () {
  if (typeof Search === "undefined" || !Search.htmlToText) return;
  const pageText = Search.htmlToText;
  Search.htmlToText = function (htmlString, anchor) {
    const page = new DOMParser().parseFromString(htmlString, "text/html");
    const unseen = ".tag_hide-input .cell_input, .bd-header-article, .onlyprint, " +
      ".bd-sidebar-secondary";  // collapsed code, buttons, printed and side contents
    page.querySelectorAll(unseen)
      .forEach(function (hidden) { hidden.remove(); });
    return pageText(page.documentElement.outerHTML, anchor).replace(/\s+/g, " ");
  };
});
