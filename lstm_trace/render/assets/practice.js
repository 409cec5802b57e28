// lstm-trace serve: each answer is sent as it is typed (after a pause, or on leaving the box), the whole
// sheet is graded again by the server, and every verdict and the score are shown from its reply.
const data = JSON.parse(document.getElementById("lstm-practice").textContent);
const WORDS = { correct: "✓ correct", carried: "↪ carried", wrong: "✗ wrong", "too-few-digits": "too few digits",
  invalid: "cannot be read", unknown: "unknown", missing: "" };
const boxes = () => document.querySelectorAll(".answer input");
const sent = new Map();
const refused = new Set(); // boxes whose text was refused: their verdict is the refusal, not the saved answer's

function show(state) {
  for (const input of boxes()) {
    const name = input.name;
    if (refused.has(name)) continue;
    const cell = input.parentElement.querySelector(".verdict");
    const v = state.verdicts[name];
    cell.className = "verdict" + (v ? " v-" + v.verdict : "");
    cell.replaceChildren();
    input.closest(".q").dataset.verdict = v ? v.verdict : "";
    if (!v || !(name in state.answers)) continue;
    cell.append(WORDS[v.verdict] ?? v.verdict);
    if (v.verdict === "carried" && v.carried_from.length) {
      cell.append(" from ");
      v.carried_from.forEach((c, k) => {
        if (k) cell.append(", ");
        cell.append(Object.assign(document.createElement("a"), { href: "#" + c.name, textContent: c.shown }));
      });
    } else if (v.message) {
      cell.append(Object.assign(document.createElement("span"), { className: "why-note", textContent: ": " + v.message }));
    }
  }
  const list = document.querySelector(".score .parts");
  list.replaceChildren();
  for (const p of state.parts) {
    const li = document.createElement("li");
    li.textContent = `${p.title || p.id}: ${+p.score.toFixed(2)} / ${p.max_score}`;
    list.append(li);
  }
  const total = document.createElement("li");
  total.className = "total";
  total.textContent = `Total: ${+state.score.toFixed(2)} / ${state.max_score}`;
  list.append(total);
}

function problem(input, message) {
  const cell = input.parentElement.querySelector(".verdict");
  cell.className = "verdict v-invalid";
  cell.textContent = message;
}

// the reply as JSON, or an error of its own when the server sent something else (a crash, a proxy)
async function json(reply) {
  try {
    return await reply.json();
  } catch {
    return { error: `the server answered ${reply.status} ${reply.statusText}` };
  }
}

async function send(input) {
  const text = input.value;
  if (sent.get(input.name) === text) return;
  sent.set(input.name, text);
  let reply, body;
  try {
    reply = await fetch("/api/answers/" + encodeURIComponent(input.name), {
      method: "PUT",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ text }),
    });
    body = await json(reply);
  } catch {
    reply = { ok: false };
    body = { error: "not saved: the server cannot be reached (is lstm-trace serve still running?)" };
  }
  if (!reply.ok) {
    sent.delete(input.name);
    refused.add(input.name);
    problem(input, body.error + (text.trim() ? " (not saved)" : ""));
    return;
  }
  refused.delete(input.name);
  show(body);
}

async function hint(button) {
  const q = button.closest(".q");
  const panel = q.querySelector(".hint-body");
  if (!panel.hidden) { panel.hidden = true; return; }
  const reply = await fetch("/api/hint/" + encodeURIComponent(q.dataset.q));
  const h = await json(reply);
  panel.replaceChildren();
  if (!reply.ok) {
    panel.append(h.error);
    panel.hidden = false;
    return;
  }
  for (const [key, label] of [["equation", "="], ["numbers", "="], ["value", "="]]) {
    if (!h[key]) continue;
    const line = document.createElement("div");
    line.className = "eq";
    line.innerHTML = `<span class="rel">${label}</span>` + h[key]; // MathML made and escaped by the server
    panel.append(line);
  }
  if (h.cause) panel.append(Object.assign(document.createElement("p"), { textContent: "Likely: " + h.cause }));
  if (!panel.childElementCount) panel.append("No hint: this quantity is given or a boundary value.");
  panel.hidden = false;
}

const timers = new Map();
document.addEventListener("input", (e) => {
  const input = e.target;
  if (!(input instanceof HTMLInputElement) || !input.closest(".answer")) return;
  clearTimeout(timers.get(input.name));
  timers.set(input.name, setTimeout(() => send(input), 600));
});
document.addEventListener("change", (e) => {
  if (e.target instanceof HTMLInputElement && e.target.closest(".answer")) send(e.target);
});
document.addEventListener("click", (e) => {
  const b = e.target instanceof Element ? e.target.closest("button.hint") : null;
  if (b) hint(b);
});
for (const input of boxes()) sent.set(input.name, input.value);
show(data.state);
