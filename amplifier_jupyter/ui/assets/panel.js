// The panel of a %%amplifier cell, drawn in the browser (anywidget ESM, no build step).
//
// The kernel (amplifier_jupyter/ui/panel_widget.py) sends the status and the timeline as
// ready-made, escaped HTML traits, the open questions as a list trait, and the answer as
// appended chunks in custom messages: {type: "answer", at, text, reset}. A chunk that does
// not start where the text ends is either one already shown (dropped) or follows a gap
// (the whole text is asked for again). Clicks go back as custom messages:
// {type: "stop"}, {type: "choose", id, option}; {type: "ready"} asks for the text so far;
// {type: "rendered"} says a view draws the panel (else its questions get their default).
// A question about a change to the notebook has it as data in the trait "reviews" (by card
// id, sent only when it changes, not with each countdown tick): {lines: [[mark, text]]},
// mark "+" added, "-" removed, " " kept, "…" folded; drawn as text only.
// The answer's closed ``` blocks get Copy, and Python ones Insert below: that sends the DOM
// event "amplifier-insert-code" ({detail: {code}}, bubbling) for the lab extension
// (labextension/src/actions.ts) to insert a cell below this one; where nobody takes it (no
// extension) the button says so.

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function button(label, extra) {
  const node = el("button", "amplifier-button" + (extra ? " " + extra : ""), label);
  node.type = "button";
  node.title = label;
  return node;
}

// The thumbnails of the images a turn sent (trait "images": {key: [{src, label, width,
// height}]}), drawn in the places the timeline's HTML leaves for them (data-key).
function drawThumbnails(timeline, images) {
  for (const place of timeline.querySelectorAll(".amplifier-thumbs[data-key]")) {
    place.replaceChildren();
    for (const image of (images || {})[place.dataset.key] || []) {
      const size = image.width && image.height ? ` (${image.width}×${image.height})` : "";
      const title = (image.label || "image") + size;
      const node = image.src ? el("img", "amplifier-thumb") : el("span", "amplifier-thumb-none", title);
      if (image.src) {
        node.src = image.src;
        node.alt = title;
      }
      node.title = title;
      place.append(node);
    }
  }
}

const DIFF_CLASS = { "+": "mod-added", "-": "mod-removed", " ": "mod-kept", "…": "mod-folded" };

// What a reviewed call would change: one line per [mark, text], as text (never HTML).
function drawReview(review) {
  const box = el("div", "amplifier-diff");
  for (const [mark, text] of review.lines || []) {
    const line = el("div", "amplifier-diff-line " + (DIFF_CLASS[mark] || "mod-kept"));
    line.append(el("span", "amplifier-diff-mark", mark === " " ? "" : mark), el("span", "amplifier-diff-text", text));
    box.append(line);
  }
  return box;
}

const FENCE = /^```[ \t]*([\w+-]*)[^\n]*\n([\s\S]*?)^```[ \t]*$/gm;
const PYTHON = new Set(["", "python", "py", "python3", "ipython", "ipython3"]);

function flash(node, label) {
  node.textContent = label;
  setTimeout(() => (node.textContent = node.title), 1500);
}

// One closed code block with its buttons (text only, never HTML).
function codeBlock(language, code) {
  const box = el("div", "amplifier-code");
  box.append(el("pre", "amplifier-code-text", code));
  const bar = el("div", "amplifier-code-actions");
  if (PYTHON.has(language.toLowerCase())) {
    const insert = button("Insert below", "amplifier-insert-below");
    insert.addEventListener("click", () => {
      const event = new CustomEvent("amplifier-insert-code", { detail: { code }, bubbles: true, cancelable: true });
      insert.dispatchEvent(event);
      flash(insert, event.defaultPrevented ? "Inserted" : "Not inserted: no lab extension here, use Copy");
    });
    bar.append(insert);
  }
  const copy = button("Copy", "amplifier-copy");
  copy.addEventListener("click", () => {
    navigator.clipboard.writeText(code).then(
      () => flash(copy, "Copied"),
      () => flash(copy, "Copy failed: select the code"),
    );
  });
  bar.append(copy);
  box.append(bar);
  return box;
}

// The answer as text with its closed code blocks drawn as blocks.
function drawAnswer(node, text) {
  node.replaceChildren();
  let at = 0;
  for (const match of text.matchAll(FENCE)) {
    if (match.index > at) node.append(text.slice(at, match.index));
    node.append(codeBlock(match[1], match[2].replace(/\n$/, "")));
    at = match.index + match[0].length;
  }
  if (at < text.length) node.append(text.slice(at));
}

function render({ model, el: root }) {
  const panel = el("div", "amplifier-panel amplifier-live");
  const header = el("div", "amplifier-header");
  const status = el("div", "amplifier-status");
  const stop = button("Stop", "amplifier-stop");
  stop.title = "Stop the agent";
  header.append(status, stop);
  const answer = el("div", "amplifier-answer");
  const approvals = el("div", "amplifier-approvals");
  const timeline = el("div", "amplifier-timeline");
  panel.append(header, answer, approvals, timeline);
  if (model.get("mode") === "card") {
    // A question standing alone: only its card.
    panel.classList.add("amplifier-card-only");
    header.hidden = true;
    timeline.hidden = true;
  }
  root.append(panel);

  let text = "";
  let asked = false;
  const showAnswer = () => {
    drawAnswer(answer, text);
    answer.hidden = text.length === 0 || model.get("mode") === "card";
  };
  const resync = () => {
    if (!asked) {
      asked = true;
      model.send({ type: "ready" });
    }
  };
  const onMessage = (msg) => {
    if (!msg || msg.type !== "answer") return;
    if (msg.reset) {
      text = msg.text;
      asked = false;
    } else if (msg.at === text.length) {
      text += msg.text;
    } else if (msg.at + msg.text.length <= text.length) {
      return; // shown already
    } else {
      resync(); // a gap: ask for the whole text
      return;
    }
    showAnswer();
  };

  const drawStatus = () => {
    status.innerHTML = model.get("status_html");
    const running = model.get("running");
    stop.hidden = !running;
    header.hidden = model.get("mode") === "card";
    stop.textContent = model.get("stop_label");
    stop.disabled = model.get("stop_disabled");
  };
  const drawTimeline = () => {
    const details = timeline.querySelector("details");
    const wasOpen = details ? details.open : null;
    timeline.innerHTML = model.get("timeline_html");
    const now = timeline.querySelector("details");
    // A fold the user opened or closed by hand stays as it was while the run goes on.
    if (now && wasOpen !== null && model.get("running")) now.open = wasOpen;
    drawThumbnails(timeline, model.get("images"));
  };
  const drawApprovals = () => {
    approvals.replaceChildren();
    const cards = model.get("approvals") || [];
    const reviews = model.get("reviews") || {};
    approvals.hidden = cards.length === 0;
    for (const card of cards) {
      const box = el("div", "amplifier-approve");
      box.dataset.id = String(card.id);
      const question = el("div", "amplifier-approve-question");
      question.innerHTML = card.question_html;
      const row = el("div", "amplifier-approve-row");
      card.options.forEach((option, i) => {
        const choice = button(option, "amplifier-approve-option" + (i === 0 ? " mod-primary" : ""));
        choice.disabled = Boolean(card.closed);
        choice.addEventListener("click", () => {
          for (const b of row.querySelectorAll("button")) b.disabled = true;
          model.send({ type: "choose", id: card.id, option });
        });
        row.append(choice);
      });
      const countdown = el("span", "amplifier-approve-countdown");
      countdown.innerHTML = card.countdown_html;
      row.append(countdown);
      box.append(question);
      const review = reviews[String(card.id)];
      if (review) box.append(drawReview(review));
      box.append(row);
      approvals.append(box);
    }
  };

  stop.addEventListener("click", () => model.send({ type: "stop" }));
  const listeners = [
    ["msg:custom", onMessage],
    ["change:status_html", drawStatus],
    ["change:running", drawStatus],
    ["change:stop_label", drawStatus],
    ["change:stop_disabled", drawStatus],
    ["change:timeline_html", drawTimeline],
    ["change:images", () => drawThumbnails(timeline, model.get("images"))],
    ["change:approvals", drawApprovals],
    ["change:reviews", drawApprovals],
  ];
  for (const [name, fn] of listeners) model.on(name, fn);
  drawStatus();
  drawTimeline();
  drawApprovals();
  showAnswer();
  model.send({ type: "rendered" });
  resync();
  return () => {
    for (const [name, fn] of listeners) model.off(name, fn);
  };
}

export default { render };
