// Apply the saved theme before first paint so there is no flash.
(function () {
  try {
    var t = localStorage.getItem("autocode-theme") || "system";
    var dark = t === "dark" || (t === "system" && matchMedia("(prefers-color-scheme: dark)").matches);
    document.documentElement.classList.toggle("dark", dark);
  } catch (e) {}
})();
