// Keying paper ballots without the mouse: a digit fills the box and moves on,
// Backspace on an empty box goes back, Enter moves on (and saves on the last box).
// The form works without this script too (Tab between boxes, Enter saves).
(function () {
  var form = document.querySelector("form[data-entry]");
  if (!form) return;
  var boxes = Array.prototype.slice.call(form.querySelectorAll("input.digit"));
  function focus(i) { if (boxes[i]) { boxes[i].focus(); boxes[i].select(); } }
  boxes.forEach(function (box, i) {
    box.addEventListener("keydown", function (e) {
      if (e.key >= "0" && e.key <= "9") {
        e.preventDefault();
        box.value = e.key;
        if (i + 1 < boxes.length) focus(i + 1); else form.querySelector("button[type=submit]").focus();
      } else if (e.key === "Backspace" && box.value === "") {
        e.preventDefault();
        focus(i - 1);
      } else if (e.key === "Enter") {
        e.preventDefault();
        if (i + 1 < boxes.length) focus(i + 1); else form.requestSubmit();
      }
    });
  });
})();
