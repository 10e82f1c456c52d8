// Live word count under a reflection box; the page works without it (the server checks limits).
(function () {
  document.querySelectorAll("textarea.word-counted").forEach(function (box) {
    var out = document.querySelector('.word-count[data-for="' + box.id + '"]');
    if (!out) return;
    var min = parseInt(box.dataset.minWords, 10) || 0;
    var max = parseInt(box.dataset.maxWords, 10) || 0;
    function update() {
      var text = box.value.trim();
      var words = text ? text.split(/\s+/).length : 0;
      var note = words + (words === 1 ? " word" : " words");
      if (max && words > max) note += " (" + (words - max) + " over the limit of " + max + ")";
      else if (min && words < min) note += " (at least " + min + " to submit)";
      out.textContent = note;
      out.classList.toggle("over", Boolean(max && words > max));
    }
    out.hidden = false;
    box.addEventListener("input", update);
    update();
  });
})();
