// The class table: click a column title (or press Enter on it) to sort, type to filter.
// Only sorts and hides rows that are already in the page; builds no HTML.
(function () {
  "use strict";
  var table = document.getElementById("wl-table");
  var body = table.tBodies[0];
  var heads = Array.prototype.slice.call(table.tHead.rows[0].cells);
  var filter = document.getElementById("wl-filter");
  var shown = document.getElementById("wl-shown");
  var rows = Array.prototype.slice.call(body.rows);

  function count() {
    var visible = rows.filter(function (r) { return !r.hidden; }).length;
    shown.textContent = shown.dataset.template
      .replace("{shown}", String(visible)).replace("{total}", String(rows.length));
  }

  function key(row, index, numeric) {
    var text = row.cells[index].textContent;
    if (!numeric) { return text.toLowerCase(); }
    return text === "" ? -Infinity : Number(text);
  }

  function sortBy(index) {
    var head = heads[index];
    var numeric = head.dataset.numeric === "1";
    var up = head.getAttribute("aria-sort") !== "ascending";
    heads.forEach(function (h) { h.setAttribute("aria-sort", "none"); });
    head.setAttribute("aria-sort", up ? "ascending" : "descending");
    var order = rows.map(function (r, i) { return [key(r, index, numeric), i, r]; });
    order.sort(function (a, b) {
      if (a[0] < b[0]) { return up ? -1 : 1; }
      if (a[0] > b[0]) { return up ? 1 : -1; }
      return a[1] - b[1];  // stable: the file order among equals
    });
    order.forEach(function (entry) { body.appendChild(entry[2]); });
  }

  heads.forEach(function (head, index) {
    head.addEventListener("click", function () { sortBy(index); });
    head.addEventListener("keydown", function (event) {
      if (event.key === "Enter" || event.key === " ") { event.preventDefault(); sortBy(index); }
    });
  });

  filter.addEventListener("input", function () {
    var words = filter.value.toLowerCase().split(/\s+/).filter(Boolean);
    rows.forEach(function (row) {
      var text = row.textContent.toLowerCase();
      row.hidden = !words.every(function (w) { return text.indexOf(w) >= 0; });
    });
    count();
  });
  count();
}());
