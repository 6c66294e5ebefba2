// Keying paper ballots without the mouse. Each question is a group whose options carry their key in the label
// (1, 2, 3 ... in printed order, 0 = don't know, or the tenth option of a list).
// - A scored or profile question (radio group): its key chooses the option and moves to the next question.
//   A profile question may be left blank: "-" clears it and moves on.
// - An expectation ("chọn tối đa N", checkboxes): each key ticks or unticks its box, never more than N ticked;
//   Enter or Tab moves on; "-" clears it and moves on.
// - A comment (a text box): typed verbatim (Enter is a new line); Tab moves on.
// Backspace goes back one question (outside a text box); Enter saves once every scored question is answered,
// else goes to the first one left. Without this script the form is a plain form: Tab, the arrow keys and the
// space bar choose, Enter or the button saves, and the server checks every answer either way.
(function () {
  var form = document.querySelector("form[data-entry]");
  if (!form) return;
  var SKIP = "-";
  var groups = Array.prototype.slice.call(form.querySelectorAll("fieldset.entry-q"));
  var status = form.querySelector("[data-entry-status]");
  var save = form.querySelector("button[type=submit]");

  function kind(i) { return groups[i].getAttribute("data-kind") || "scored"; }
  function upTo(i) { return Number(groups[i].getAttribute("data-up-to") || 1); }
  function boxes(i) {
    return Array.prototype.slice.call(groups[i].querySelectorAll("input[type=radio], input[type=checkbox]"));
  }
  function ticked(i) { return boxes(i).filter(function (r) { return r.checked; }); }
  var required = groups.map(function (_, i) { return i; }).filter(function (i) { return kind(i) === "scored"; });
  function missing() { return required.filter(function (i) { return !ticked(i).length; }); }
  function say(text) { if (status) status.textContent = text; }
  function count() {
    var left = missing().length;
    var word = required.length === groups.length ? " câu" : " câu bắt buộc";
    say(left ? "Đã nhập " + (required.length - left) + "/" + required.length + word + "."
             : "Đã nhập đủ " + required.length + word + ": Enter để lưu phiếu.");
  }
  function changed(input) { input.dispatchEvent(new Event("change", { bubbles: true })); }
  function focusGroup(i) {
    if (i >= groups.length) { save.focus(); return; }
    if (kind(i) === "comment") { groups[i].querySelector("textarea").focus(); return; }
    var target = ticked(i)[0] || boxes(i)[0];
    target.focus();
  }

  form.addEventListener("keydown", function (e) {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    var i = groups.indexOf(e.target.closest ? e.target.closest("fieldset.entry-q") : null);
    var k = i >= 0 ? kind(i) : null;
    if (k === "comment") return;  // typed verbatim; Tab leaves the box
    if (k === "expectation" && (e.key === "Enter" || (e.key === "Tab" && !e.shiftKey))) {
      e.preventDefault();
      focusGroup(i + 1);
      return;
    }
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
    if (i < 0 || e.key.length !== 1) return;
    if (e.key === SKIP) {
      e.preventDefault();
      if (k === "scored") { say("Câu " + (i + 1) + " bắt buộc, không bỏ trống được."); return; }
      ticked(i).forEach(function (r) { r.checked = false; changed(r); });
      focusGroup(i + 1);
      return;
    }
    if (!/[0-9a-z]/i.test(e.key)) return;
    e.preventDefault();
    var option = boxes(i).filter(function (r) { return r.value === e.key.toLowerCase(); })[0];
    if (!option) {
      var keys = boxes(i).map(function (r) { return r.value; }).join(", ");
      say("Câu " + (i + 1) + " không có phím " + e.key + ": gõ một trong các phím " + keys + ".");
      return;
    }
    if (k === "expectation") {
      if (!option.checked && ticked(i).length >= upTo(i)) {
        say("Câu " + (i + 1) + ": chọn tối đa " + upTo(i) + " ô. Gõ lại số của một ô đã chọn để bỏ chọn nó.");
        return;
      }
      option.checked = !option.checked;
      option.focus();
      changed(option);
      var now = ticked(i).map(function (r) { return r.value; }).join(", ") || "không ô nào";
      say("Câu " + (i + 1) + ": đã chọn " + now + " (tối đa " + upTo(i) + "). Enter để sang câu sau.");
      return;
    }
    option.checked = true;
    changed(option);
    focusGroup(i + 1);
  });
  form.addEventListener("change", count);
  count();
  form.setAttribute("data-keys", "ready");
})();
