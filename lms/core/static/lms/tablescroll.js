// A table in a scrolling box (.table-scroll[data-scroll-hint]): the hint "scroll sideways" and a shadow at
// the edge show only while some columns are out of view. Without this script the hint is always shown.
(function () {
  document.querySelectorAll(".table-scroll[data-scroll-hint]").forEach(function (box) {
    var hint = document.getElementById(box.getAttribute("data-scroll-hint"));
    function update() {
      var cut = box.scrollWidth > box.clientWidth + 1;
      box.classList.toggle("is-cut", cut);
      box.classList.toggle("at-end", cut && box.scrollLeft + box.clientWidth >= box.scrollWidth - 1);
      if (hint) hint.hidden = !cut;
    }
    box.addEventListener("scroll", update, { passive: true });
    window.addEventListener("resize", update);
    update();
  });
})();
