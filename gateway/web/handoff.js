// Submits the payment hand-off form on arrival. Without scripts, the
// parent presses its button instead.
const handoff = document.getElementById('handoff');
if (handoff) {
  handoff.submit();
}
