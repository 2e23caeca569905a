// The book's own script (Jupyter Book adds every script in _static/ to every page).
// sphinx-copybutton's buttons show an icon and a tooltip only: give them a name a screen reader
// can say. They are added when the page's DOM is ready, so this runs at "load".
window.addEventListener("load", function () {
  document.querySelectorAll("button.copybtn:not([aria-label])").forEach(function (button) {
    button.setAttribute("aria-label", "Copy the code");
  });
});
