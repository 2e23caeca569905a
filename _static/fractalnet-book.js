// The book's own script (Jupyter Book adds every script in _static/ to every page).
// sphinx-copybutton's buttons show an icon and a tooltip only: give them a name a screen reader
// can say. They are added when the page's DOM is ready, so this runs at "load".
window.addEventListener("load", function () {
  document.querySelectorAll("button.copybtn:not([aria-label])").forEach(function (button) {
    button.setAttribute("aria-label", "Copy the code");
  });
});

// Search results quote the page around the word searched for. Sphinx takes that text from
// the whole page, collapsed code included, so an excerpt could open with a chapter's hidden
// set-up cell. Quote what a reader sees first: the prose and the code cells left open.
document.addEventListener("DOMContentLoaded", function () {
  if (typeof Search === "undefined" || !Search.htmlToText) return;
  const pageText = Search.htmlToText;
  Search.htmlToText = function (htmlString, anchor) {
    const page = new DOMParser().parseFromString(htmlString, "text/html");
    page.querySelectorAll(".tag_hide-input .cell_input").forEach(function (input) {
      input.remove();
    });
    return pageText(page.documentElement.outerHTML, anchor);
  };
});
