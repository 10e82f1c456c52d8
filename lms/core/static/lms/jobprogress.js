// Live progress of a background job: polls the page's small JSON address and moves the bar; when the job is
// over, reloads the page to show what was done. Without JavaScript the page refreshes itself instead.
(function () {
  var box = document.querySelector("[data-progress-url]");
  if (!box) return;
  var bar = box.querySelector("progress");
  function show(state) {
    bar.value = state.done;
    bar.textContent = state.percent + "%";
    ["done", "issued", "already", "refused"].forEach(function (name) {
      var field = box.querySelector('[data-field="' + name + '"]');
      if (field) field.textContent = state[name];
    });
  }
  function poll() {
    fetch(box.dataset.progressUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : Promise.reject(response.status); })
      .then(function (state) {
        show(state);
        if (state.state === "running") setTimeout(poll, 1000);
        else window.location.reload();
      })
      .catch(function () { setTimeout(poll, 5000); });
  }
  setTimeout(poll, 1000);
})();
