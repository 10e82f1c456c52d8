// The time-zone box (see the zone_field macro): where the page asks, it is filled in from this device's own
// zone, and the 12/24-hour choice follows the zone until the person picks one. Without this script the box
// keeps the zone shown by the server, and the server works out the clock (core/forms.chosen_clock).
(function () {
  var box = document.querySelector("input[data-zone-box]");
  if (!box) return;
  var list = document.getElementById(box.getAttribute("list"));
  var note = document.getElementById(box.id + "-device");
  var twelveHour = (box.getAttribute("data-twelve-hour") || "").split("|");
  var choices = document.querySelectorAll("input[data-clock-choice]");
  var shown = document.querySelector("input[data-clock-shown]");
  // An empty companion means the person chose their clock before: it does not follow the zone.
  var chosenByHand = Boolean(shown && !shown.value);

  // "Europe/Oslo" -> the suggestion "Oslo, Norway"; a name without one stays as it is (the server knows it).
  function labelFor(zoneName) {
    var city = zoneName.split("/").pop().replace(/_/g, " ");
    var options = list ? list.options : [];
    for (var i = 0; i < options.length; i++) {
      var value = options[i].value;
      if (value === city || value.indexOf(city + ", ") === 0) return value;
    }
    return zoneName;
  }

  function followZone() {
    var now = box.parentNode.querySelector("[data-zone-now]");
    if (now) now.hidden = true;  // it gave the time in the zone shown before
    if (chosenByHand || !choices.length) return;
    var country = box.value.split(", ").pop();
    var clock = twelveHour.indexOf(country) >= 0 ? "12" : "24";
    for (var i = 0; i < choices.length; i++) choices[i].checked = choices[i].value === clock;
    if (shown) shown.value = clock;  // still the zone's habit: saved as "follow my zone"
  }

  for (var i = 0; i < choices.length; i++) {
    choices[i].addEventListener("change", function () { chosenByHand = true; });
  }
  box.addEventListener("change", followZone);

  if (box.hasAttribute("data-from-device")) {
    var device = "";
    try { device = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (error) { device = ""; }
    if (device && device !== "UTC") {
      var label = labelFor(device);
      if (label !== box.value) {
        box.value = label;
        followZone();
        if (note) {
          note.textContent = "Filled in from your phone or computer: " + label + ". Change it if it is not where you are.";
          note.hidden = false;
        }
      }
    }
  }
})();
