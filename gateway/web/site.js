// Turns on the design system's script behaviour. Every page works without
// this file: it only adds comfort, such as focus moving to an error summary.
document.documentElement.classList.add('js-enabled');
if (window.DS) {
  window.DS.initAll();
}

// The error summary takes focus, so that a screen reader announces it and
// keyboard users start from its links.
const summary = document.querySelector('.ds_error-summary');
if (summary) {
  summary.focus();
}
