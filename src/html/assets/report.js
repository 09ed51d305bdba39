// Progressive enhancement only: the page is complete without this script.
// Click a column header of a .sortable table to sort; type in the box above a .filterable table
// to show only the rows containing that text.
(function () {
  "use strict";
  function cellText(row, i) {
    var c = row.cells[i];
    return c ? c.textContent.trim() : "";
  }
  function sortBy(table, i, th) {
    var body = table.tBodies[0];
    if (!body) { return; }
    var asc = th.getAttribute("data-dir") !== "asc";
    th.setAttribute("data-dir", asc ? "asc" : "desc");
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = cellText(a, i), y = cellText(b, i);
      var nx = parseFloat(x), ny = parseFloat(y);
      var cmp = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y);
      return asc ? cmp : -cmp;
    });
    rows.forEach(function (r) { body.appendChild(r); });
  }
  document.querySelectorAll("table.sortable").forEach(function (table) {
    if (!table.tHead) { return; }
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, i) {
      th.classList.add("sortable-col");
      th.addEventListener("click", function () { sortBy(table, i, th); });
    });
  });
  document.querySelectorAll("table.filterable").forEach(function (table) {
    var input = document.createElement("input");
    input.type = "search";
    input.className = "filter";
    input.placeholder = "Filter rows (name, state, node…)";
    var holder = table.parentNode;
    holder.parentNode.insertBefore(input, holder);
    input.addEventListener("input", function () {
      var needle = input.value.toLowerCase();
      Array.prototype.forEach.call(table.tBodies[0].rows, function (r) {
        r.hidden = needle !== "" && r.textContent.toLowerCase().indexOf(needle) < 0;
      });
    });
  });
})();
