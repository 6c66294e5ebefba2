// The respondent's page, a little easier (the page works without this script, and the server checks
// every answer either way): an expectation ("chọn tối đa N") disables its other boxes once N are ticked;
// a comment shows how many characters are left.
(function () {
  var groups = document.querySelectorAll("fieldset[data-choose-up-to]");
  Array.prototype.forEach.call(groups, function (group) {
    var most = parseInt(group.getAttribute("data-choose-up-to"), 10);
    var boxes = Array.prototype.slice.call(group.querySelectorAll("input[type=checkbox]"));
    function update() {
      var ticked = boxes.filter(function (b) { return b.checked; }).length;
      boxes.forEach(function (b) { b.disabled = !b.checked && ticked >= most; });
    }
    group.addEventListener("change", update);
    update();
  });
  var areas = document.querySelectorAll("textarea[data-max-length]");
  Array.prototype.forEach.call(areas, function (area) {
    var most = parseInt(area.getAttribute("data-max-length"), 10);
    var counter = document.querySelector("[data-counter-for='" + area.id + "']");
    if (!counter) return;
    function update() {
      counter.textContent = "Đã viết " + area.value.length + "/" + most + " ký tự.";
    }
    counter.hidden = false;
    area.addEventListener("input", update);
    update();
  });
})();
