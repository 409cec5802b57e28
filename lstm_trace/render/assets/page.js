// lstm-trace's page: hovering or focusing a quantity lights what it is computed from (inputs) and
// what is computed from it (dependants); a click pins that; "why?" opens the tree explain prints.
const graph = JSON.parse(document.getElementById("lstm-graph").textContent);
const inputs = graph.inputs;
const names = graph.names;
const dependants = {};
for (const [name, ins] of Object.entries(inputs)) {
  for (const i of ins) (dependants[i] ??= []).push(name);
}
const byId = (id) => document.getElementById(id);
const MARKS = ["hl-self", "hl-in", "hl-out"];
let pinned = null;
let lit = null;

function light(id) {
  if (id === lit) return;
  for (const e of document.querySelectorAll(".hl-self, .hl-in, .hl-out")) e.classList.remove(...MARKS);
  lit = id;
  if (!id) return;
  byId(id)?.classList.add("hl-self");
  for (const i of inputs[id] ?? []) byId(i)?.classList.add("hl-in");
  for (const o of dependants[id] ?? []) byId(o)?.classList.add("hl-out");
}

const quantityOf = (target) => (target instanceof Element ? target.closest("[data-q]") : null);
document.addEventListener("mouseover", (e) => {
  if (pinned) return;
  const q = quantityOf(e.target);
  light(q ? q.dataset.q : null);
});
document.addEventListener("focusin", (e) => {
  const q = quantityOf(e.target);
  if (q && !pinned) light(q.dataset.q);
});
document.addEventListener("click", (e) => {
  const why = e.target instanceof Element ? e.target.closest("button.why") : null;
  if (why) {
    toggleTree(why.closest("[data-q]"), why);
    return;
  }
  const q = quantityOf(e.target);
  if (!q) return;
  pinned = pinned === q.dataset.q ? null : q.dataset.q;
  lit = null;
  light(pinned ?? q.dataset.q);
});

// a quantity as the tree shows it: its name linked to its place on the page, and its value
function entry(id) {
  const span = document.createElement("span");
  const home = byId(id);
  const link = document.createElement("a");
  link.href = "#" + id;
  const name = home?.querySelector(".lhs math");
  if (name) link.append(name.cloneNode(true));
  else link.textContent = names[id] ?? id;
  span.append(link);
  const value = home?.querySelector(".val math");
  if (value) span.append(" = ", value.cloneNode(true));
  else if (!home) span.append(Object.assign(document.createElement("span"), { className: "off", textContent: " (not on this page)" }));
  return span;
}

function grow(list, id, level, seen) {
  for (const i of inputs[id] ?? []) {
    const li = document.createElement("li");
    li.append(entry(i));
    if (seen.has(i)) {
      li.append(Object.assign(document.createElement("span"), { className: "off", textContent: " (see above)" }));
    } else {
      seen.add(i);
      if ((inputs[i] ?? []).length && level < graph.depth) {
        const ul = document.createElement("ul");
        grow(ul, i, level + 1, seen);
        li.append(ul);
      } else if ((inputs[i] ?? []).length) {
        li.append(" …");
      }
    }
    list.append(li);
  }
}

function toggleTree(q, button) {
  const open = q.querySelector(".tree");
  if (open) {
    open.remove();
    button.setAttribute("aria-expanded", "false");
    return;
  }
  const box = document.createElement("div");
  box.className = "tree";
  const ul = document.createElement("ul");
  const root = document.createElement("li");
  root.append(entry(q.dataset.q));
  const children = document.createElement("ul");
  grow(children, q.dataset.q, 1, new Set([q.dataset.q]));
  root.append(children);
  ul.append(root);
  box.append(ul);
  q.append(box);
  button.setAttribute("aria-expanded", "true");
}
