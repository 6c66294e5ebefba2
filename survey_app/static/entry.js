// Keying paper ballots without the mouse. Each question is a radio group whose options carry their key
// in the label (1, 2, 3 ... in printed order, 0 = don't know). On a question, that key chooses the option
// and moves to the next question; Backspace goes back one question; Enter saves once every question is
// answered, else goes to the first one left. Without this script the form is a plain form: Tab and the
// arrow keys choose, Enter or the button saves, and the server checks every answer either way.
(function () {
  var form = document.querySelector("form[data-entry]");
  if (!form) return;
  var groups = Array.prototype.slice.call(form.querySelectorAll("fieldset.entry-q"));
  var status = form.querySelector("[data-entry-status]");
  var save = form.querySelector("button[type=submit]");

  function radios(i) { return Array.prototype.slice.call(groups[i].querySelectorAll("input[type=radio]")); }
  function chosen(i) { return radios(i).filter(function (r) { return r.checked; })[0]; }
  function missing() {
    return groups.map(function (_, i) { return i; }).filter(function (i) { return !chosen(i); });
  }
  function say(text) { if (status) status.textContent = text; }
  function count() {
    var left = missing().length;
    say(left ? "Đã nhập " + (groups.length - left) + "/" + groups.length + " câu."
             : "Đã nhập đủ " + groups.length + " câu: Enter để lưu phiếu.");
  }
  function focusGroup(i) {
    if (i >= groups.length) { save.focus(); return; }
    var target = chosen(i) || radios(i)[0];
    target.focus();
  }

  form.addEventListener("keydown", function (e) {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    var i = groups.indexOf(e.target.closest ? e.target.closest("fieldset.entry-q") : null);
    if (e.key === "Enter" && (i >= 0 || e.target === save)) {
      var left = missing();
      e.preventDefault();
      if (!left.length) { form.requestSubmit(save); return; }
      say("Còn câu " + left.map(function (j) { return j + 1; }).join(", ") + " chưa nhập.");
      focusGroup(left[0]);
      return;
    }
    if (e.key === "Backspace" && (i > 0 || e.target === save)) {
      e.preventDefault();
      focusGroup(i >= 0 ? i - 1 : groups.length - 1);
      return;
    }
    if (i < 0 || e.key.length !== 1 || !/[0-9a-z]/i.test(e.key)) return;
    e.preventDefault();
    var option = radios(i).filter(function (r) { return r.value === e.key.toLowerCase(); })[0];
    if (!option) {
      var keys = radios(i).map(function (r) { return r.value; }).join(", ");
      say("Câu " + (i + 1) + " không có phím " + e.key + ": gõ một trong các phím " + keys + ".");
      return;
    }
    option.checked = true;
    option.dispatchEvent(new Event("change", { bubbles: true }));
    focusGroup(i + 1);
  });
  form.addEventListener("change", count);
  count();
  form.setAttribute("data-keys", "ready");
})();
