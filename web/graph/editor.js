/**
 * The editor: the program (a code area with line numbers), the inputs it uses with
 * editable values, the examples menu with each example's sentence, Run (and Ctrl/Cmd+Enter),
 * and mistakes shown inline at their line and column, in words.
 */

const KEYWORDS = new Set(["and", "or", "def", "return", "not", "in", "is", "if", "else", "for", "lambda",
  "True", "False", "None"]);
const VALUE_HINT = 'a number, a list like [1, -2, 3], or {"shape": [3, 4], "init": "randn", "seed": 0}';

/**
 * Names the program reads but never assigns: the inputs it needs values for.
 * A text scan (no evaluation): identifiers not called as functions, not keyword
 * arguments, not attributes, not defined by an earlier `name = ...`.
 */
export function detectInputs(program) {
  const assigned = new Set();
  const needed = [];
  let params = null;     // the parameters of the function whose body is being read
  const statements = program.replace(/#[^\n]*/g, "").split(/[\n;]/);
  for (const stmt of statements) {
    // A loop variable and a function's parameters are bound by the program, not inputs.
    const loop = /^\s*for\s+([A-Za-z_]\w*)\s+in\b/.exec(stmt);
    if (loop) assigned.add(loop[1]);
    const indent = /^\s*/.exec(stmt)[0].length;
    if (params && stmt.trim() && indent <= params.indent) params = null;
    const def = /^\s*def\s+[A-Za-z_]\w*\s*\(([^)]*)\)/.exec(stmt);
    if (def) {
      params = { indent, names: new Set(Array.from(def[1].matchAll(/[A-Za-z_]\w*/g), (p) => p[0])) };
      continue;
    }
    const m = /^\s*([A-Za-z_]\w*)\s*=(?!=)([\s\S]*)$/.exec(stmt);
    const rhs = m ? m[2] : stmt;
    for (const id of rhs.matchAll(/[A-Za-z_]\w*/g)) {
      const name = id[0];
      const before = rhs.slice(0, id.index);
      const after = rhs.slice(id.index + name.length);
      if (/[\w.]$/.test(before) || /^\s*\(/.test(after) || /^\s*=(?!=)/.test(after)) continue;
      if (KEYWORDS.has(name) || assigned.has(name) || needed.includes(name)) continue;
      if (params && params.names.has(name)) continue;
      needed.push(name);
    }
    if (m) assigned.add(m[1]);
  }
  return needed;
}

/** Lines `name = <number or list>`: inputs the program declares itself, editable in place. */
export function declaredInputs(program) {
  const found = [];
  program.split("\n").forEach((line, index) => {
    const m = /^(\s*[A-Za-z_]\w*\s*=\s*)([^;#]+?)\s*$/.exec(line);
    if (!m) return;
    try {
      const v = JSON.parse(m[2]);
      if (typeof v === "number" || Array.isArray(v)) {
        found.push({ name: m[1].trim().replace(/\s*=$/, ""), text: m[2], index, head: m[1] });
      }
    } catch {
      // not a literal: an ordinary statement, not an input
    }
  });
  return found;
}

/** An input value from its text: JSON (number, nested list, generator), or an error message. */
function parseValue(name, text) {
  const t = text.trim();
  try {
    return { value: JSON.parse(t) };
  } catch {
    const n = Number(t);
    if (t !== "" && Number.isFinite(n)) return { value: n };
    return { error: `input '${name}': cannot read "${t}"; write ${VALUE_HINT}` };
  }
}

function valueText(v) {
  return v == null ? "" : JSON.stringify(v);
}

export function createEditor(root, { onRun, onExample }) {
  const q = (id) => root.querySelector(`[data-testid="${id}"]`);
  const area = q("expression-input");
  const gutter = root.querySelector(".gutter");
  const inputsBox = q("inputs");
  const examplesMenu = q("examples");
  const note = q("example-note");
  const outputField = q("output-input");
  const upstreamField = q("upstream-input");
  const errorBox = q("error");
  const runButton = q("run-button");
  let values = {};       // name -> text typed for that input
  let examples = [];
  let errorLine = null;

  function renderGutter() {
    const lines = area.value.split("\n").length;
    const nums = [];
    for (let i = 1; i <= lines; i++) nums.push(i === errorLine ? `<span class="err">${i}</span>` : String(i));
    gutter.innerHTML = nums.join("\n");
    // the caret may scroll the code area after this input event: follow it a frame later
    requestAnimationFrame(() => { gutter.scrollTop = area.scrollTop; });
  }

  /** A row for an input the program declares: editing it rewrites that line of the program. */
  function declaredRow(decl) {
    const row = document.createElement("label");
    row.className = "input-row declared";
    row.title = `declared on line ${decl.index + 1} of the program; editing here changes that line`;
    const tag = document.createElement("span");
    tag.className = "input-name";
    tag.textContent = decl.name;
    const field = document.createElement("input");
    field.type = "text";
    field.spellcheck = false;
    field.dataset.testid = `input-${decl.name}`;
    field.dataset.name = decl.name;
    field.value = decl.text;
    field.addEventListener("input", () => {
      const lines = area.value.split("\n");
      lines[decl.index] = decl.head + field.value.replace(/\n/g, " ");
      area.value = lines.join("\n");
    });
    field.addEventListener("keydown", runOnCtrlEnter);
    row.append(tag, field);
    return row;
  }

  function renderInputs() {
    const names = detectInputs(area.value);
    const declared = declaredInputs(area.value).map(declaredRow);
    const rows = declared.concat(names.map((name) => {
      const row = document.createElement("label");
      row.className = "input-row";
      const tag = document.createElement("span");
      tag.className = "input-name";
      tag.textContent = name;
      const field = document.createElement("input");
      field.type = "text";
      field.spellcheck = false;
      field.dataset.testid = `input-${name}`;
      field.dataset.name = name;
      field.value = values[name] ?? "";
      field.placeholder = "value";
      field.addEventListener("input", () => { values[name] = field.value; });
      field.addEventListener("keydown", runOnCtrlEnter);
      row.append(tag, field);
      return row;
    }));
    inputsBox.replaceChildren(...rows);
    inputsBox.classList.toggle("empty", !rows.length);
  }

  /** Once the program is no longer the example's, the menu says "your own program". */
  function leaveExampleIfEdited() {
    const ex = examples.find((e) => e.id === examplesMenu.value);
    if (ex && ex.expression !== area.value) {
      examplesMenu.value = "";
      note.hidden = true;
    }
  }

  function runOnCtrlEnter(ev) {
    if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) {
      ev.preventDefault();
      onRun();
    }
  }

  area.addEventListener("input", () => {
    renderGutter();
    renderInputs();
    leaveExampleIfEdited();
  });
  area.addEventListener("scroll", () => { gutter.scrollTop = area.scrollTop; });
  area.addEventListener("keydown", runOnCtrlEnter);
  outputField.addEventListener("keydown", runOnCtrlEnter);
  upstreamField.addEventListener("keydown", runOnCtrlEnter);
  runButton.addEventListener("click", () => onRun());
  examplesMenu.addEventListener("change", () => {
    const ex = examples.find((e) => e.id === examplesMenu.value);
    if (ex) onExample(ex);
  });

  /** Fill the menu, grouped by the lecture's sections. */
  function setExamples(list) {
    examples = list;
    examplesMenu.replaceChildren();
    const placeholder = new Option("— your own program —", "");
    examplesMenu.append(placeholder);
    const groups = new Map();
    for (const ex of list) {
      const section = ex.section || "Examples";
      if (!groups.has(section)) {
        const g = document.createElement("optgroup");
        g.label = section;
        groups.set(section, g);
        examplesMenu.append(g);
      }
      groups.get(section).append(new Option(ex.title, ex.id));
    }
  }

  /** Show a program and its inputs (from an example or a link). */
  function load(state, example = null) {
    area.value = state.program;
    values = {};
    for (const [k, v] of Object.entries(state.inputs || {})) values[k] = valueText(v);
    outputField.value = state.output || "";
    upstreamField.value = state.upstream == null ? "" : valueText(state.upstream);
    examplesMenu.value = example ? example.id : "";
    const showNote = example && !state.quiz;  // in quiz mode the note would give answers away
    note.textContent = showNote ? example.explanation || "" : "";
    note.hidden = !showNote;
    clearError();
    renderInputs();
  }

  /** What the editor asks for, or {error} when an input field cannot be read. */
  function read() {
    const inputs = {};
    for (const name of detectInputs(area.value)) {
      // an empty field is left out: the server then names the unknown name at its line and column
      if (!(values[name] ?? "").trim()) continue;
      const parsed = parseValue(name, values[name]);
      if (parsed.error) return { error: parsed.error, field: name };
      inputs[name] = parsed.value;
    }
    let upstream = null;
    if (upstreamField.value.trim()) {
      const parsed = parseValue("upstream", upstreamField.value);
      if (parsed.error) return { error: parsed.error.replace("input 'upstream'", "upstream"), field: "upstream" };
      upstream = parsed.value;
    }
    const example = examplesMenu.value || null;
    return { program: area.value, inputs, output: outputField.value.trim() || null, upstream, example };
  }

  /** Words under the editor; with a line and column, also the line with a caret under the spot. */
  function showError(message, line = null, col = null) {
    errorBox.replaceChildren();
    const text = document.createElement("div");
    text.className = "error-message";
    text.textContent = message;
    errorBox.append(text);
    const source = area.value.split("\n");
    if (line != null && line >= 1 && line <= source.length) {
      const pre = document.createElement("pre");
      pre.className = "error-excerpt";
      const caret = " ".repeat(Math.max(0, (col || 1) - 1)) + "^";
      pre.textContent = `${String(line).padStart(3)} | ${source[line - 1]}\n    | ${caret}`;
      errorBox.append(pre);
      errorLine = line;
      const offset = source.slice(0, line - 1).reduce((n, l) => n + l.length + 1, 0) + Math.max(0, (col || 1) - 1);
      area.setSelectionRange(offset, Math.min(offset + 1, area.value.length));
    } else {
      errorLine = null;
    }
    errorBox.dataset.line = line ?? "";
    errorBox.dataset.col = col ?? "";
    errorBox.hidden = false;
    root.classList.add("has-error");
    renderGutter();
  }

  function clearError() {
    errorBox.hidden = true;
    errorBox.replaceChildren();
    errorLine = null;
    root.classList.remove("has-error");
    renderGutter();
  }

  renderGutter();
  return { setExamples, load, read, showError, clearError, focus: () => area.focus() };
}
