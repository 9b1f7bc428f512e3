// Shows that scripts load and run: the paragraph below the links gets the browser's clock.
(function () {
  var p = document.getElementById('clock');
  if (!p) { return; }
  function tick() { p.textContent = 'JavaScript from /app.js says it is ' + new Date().toLocaleTimeString() + '.'; }
  tick();
  setInterval(tick, 1000);
})();
