// The service editor's lists: add, remove and reorder items, and the toman beside an amount in rials.
// Inputs are named by path (costs.0.amount); a new item gets a fresh token instead of __new__, and the
// server reads items in the order the form sends them, so nothing is renumbered. Written for the strict
// Content-Security-Policy: no inline handlers, one listener on the document.
(function () {
  "use strict";
  let counter = 0;
  const PERSIAN = "۰۱۲۳۴۵۶۷۸۹";

  function persianDigits(text) {
    return String(text).replace(/[0-9]/g, (d) => PERSIAN[Number(d)]);
  }

  function latinNumber(text) {
    const latin = String(text).replace(/[۰-۹]/g, (d) => String(PERSIAN.indexOf(d))).replace(/[٠-٩]/g, (d) => String(d.charCodeAt(0) - 0x660));
    return latin.replace(/[,٬،\s_]/g, "");
  }

  function grouped(n) {
    return persianDigits(String(n).replace(/\B(?=(\d{3})+(?!\d))/g, "٬"));
  }

  function showToman(input) {
    const out = input.parentElement.querySelector("output.toman");
    if (!out) return;
    const text = latinNumber(input.value);
    out.textContent = /^\d+$/.test(text) ? grouped(text) + " ریال (معادل " + grouped(Math.floor(Number(text) / 10)) + " تومان)" : "";
  }

  function addItem(list) {
    const prefix = list.dataset.list;
    const template = list.querySelector(":scope > template");
    const token = "n" + Date.now().toString(36) + (counter++);
    const html = template.innerHTML.split(prefix + ".__new__").join(prefix + "." + token)
      .split("f-" + prefix.replace(/\./g, "-") + "-__new__").join("f-" + prefix.replace(/\./g, "-") + "-" + token);
    const holder = document.createElement("ol");
    holder.innerHTML = html;
    const item = holder.firstElementChild;
    list.querySelector(":scope > ol.items").appendChild(item);
    const first = item.querySelector("input:not([type=hidden]), textarea, select");
    if (first) first.focus();
  }

  document.addEventListener("click", (event) => {
    const button = event.target.closest("button");
    if (!button || !button.closest("form.editor")) return;
    if (button.hasAttribute("data-add")) {
      event.preventDefault();
      addItem(button.closest("fieldset.list"));
    } else if (button.hasAttribute("data-remove")) {
      event.preventDefault();
      button.closest("li.item").remove();
    } else if (button.dataset.move) {
      event.preventDefault();
      const item = button.closest("li.item");
      if (button.dataset.move === "up" && item.previousElementSibling) {
        item.parentElement.insertBefore(item, item.previousElementSibling);
      } else if (button.dataset.move === "down" && item.nextElementSibling) {
        item.parentElement.insertBefore(item.nextElementSibling, item);
      }
    }
  });

  document.addEventListener("input", (event) => {
    if (event.target.matches && event.target.matches("input[data-rials]")) showToman(event.target);
  });
})();
