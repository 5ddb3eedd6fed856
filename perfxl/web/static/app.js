// perfxl serve: the page. Plain JavaScript, no library, nothing loaded from the internet.
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const body = document.body;
  const MAX_FILE = Number(body.dataset.maxFileBytes);
  const MAX_FILES = Number(body.dataset.maxFiles);
  const SUFFIXES = [".xlsx", ".xlsm", ".xls"];
  const HEADERS = { "X-Perfxl": "1" };
  let busy = false;
  let batchId = null;
  let rows = [];           // per selected file: {file, name, el, serverIndex, refused, done}
  let findingsShown = {};  // server index -> true once its findings are in the table

  // ------------------------------------------------------------------ access token
  $("login-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const response = await fetch("/api/login", { method: "POST", headers: { ...HEADERS, "Content-Type": "application/json" },
      body: JSON.stringify({ token: $("token").value }) });
    if (response.ok) { $("login").hidden = true; $("app").hidden = false; $("login-error").textContent = ""; }
    else { $("login-error").textContent = (await errorText(response)); }
  });

  // ------------------------------------------------------------------ choosing files
  const drop = $("drop");
  drop.addEventListener("click", (event) => { if (event.target === drop || event.target.closest(".drop-title, .drop-hint")) $("pick-files").click(); });
  drop.addEventListener("keydown", (event) => { if (event.key === "Enter" || event.key === " ") { event.preventDefault(); $("pick-files").click(); } });
  ["dragenter", "dragover"].forEach((type) => drop.addEventListener(type, (event) => { event.preventDefault(); drop.classList.add("over"); }));
  ["dragleave", "drop"].forEach((type) => drop.addEventListener(type, () => drop.classList.remove("over")));
  document.addEventListener("dragover", (event) => event.preventDefault());
  document.addEventListener("drop", (event) => event.preventDefault());
  drop.addEventListener("drop", async (event) => {
    event.preventDefault();
    const items = event.dataTransfer.items ? Array.from(event.dataTransfer.items) : [];
    const entries = items.map((item) => item.webkitGetAsEntry ? item.webkitGetAsEntry() : null);
    if (entries.length && entries.every((entry) => entry)) {
      const files = [];
      for (const entry of entries) await collect(entry, files, entry.isDirectory);
      start(files);
    } else {
      start(Array.from(event.dataTransfer.files).map((file) => ({ file, scanned: false })));
    }
  });
  $("pick-files").addEventListener("change", (event) => { start(Array.from(event.target.files).map((file) => ({ file, scanned: false }))); event.target.value = ""; });
  $("pick-folder").addEventListener("change", (event) => { start(Array.from(event.target.files).map((file) => ({ file, scanned: true }))); event.target.value = ""; });

  function collect(entry, out, scanned) {
    // A dropped folder is scanned like `perfxl fill 文件夹/`: its sub-folders too (the page has no --recursive).
    return new Promise((resolve) => {
      if (entry.isFile) { entry.file((file) => { out.push({ file, scanned }); resolve(); }, () => resolve()); return; }
      const reader = entry.createReader();
      const all = [];
      const more = () => reader.readEntries(async (batch) => {
        if (!batch.length) { for (const child of all) await collect(child, out, true); resolve(); return; }
        all.push(...batch); more();
      }, () => resolve());
      more();
    });
  }

  function isCandidate(name) {
    // As perfxl's folder scan (perfxl/batch/run.py is_candidate): forms only, no lock files, no outputs.
    const lower = name.toLowerCase();
    if (name.startsWith("~") || name.startsWith(".")) return false;
    if (!SUFFIXES.some((suffix) => lower.endsWith(suffix))) return false;
    if (name === "汇总.xlsx" || /_(自评结果|自评报告)(\s*[(（]\d{1,4}[)）])?\.[^.]+$/.test(name)) return false;
    return true;
  }

  // ------------------------------------------------------------------ a batch
  async function start(chosen) {
    if (busy) { $("notice").textContent = "上一批还在处理中，请等它完成后再拖入新的文件。"; return; }
    const picked = chosen.filter((item) => !item.scanned || isCandidate(item.file.name)).map((item) => item.file);
    $("notice").textContent = "";
    if (!picked.length) { $("notice").textContent = "所选位置中没有 .xlsx/.xlsm/.xls 自评表文件。"; return; }
    if (picked.length > MAX_FILES) { $("notice").textContent = `一次最多处理 ${MAX_FILES} 个文件，本次选择了 ${picked.length} 个。请分批上传。`; return; }
    busy = true;
    reset();
    picked.sort((a, b) => (a.webkitRelativePath || a.name).localeCompare(b.webkitRelativePath || b.name, "zh-CN"));
    rows = picked.map((file) => ({ file, name: file.name, refused: file.size > MAX_FILE }));
    rows.forEach((row) => addRow(row));
    $("batch").hidden = false;
    rows.filter((row) => row.refused).forEach((row) => showRefused(row, `${row.name}：无法处理 —— ${row.name} 超过 ${Math.floor(MAX_FILE / 1048576)} MB，不像一份自评表，已拒绝处理。`));
    const sending = rows.filter((row) => !row.refused);
    sending.forEach((row, index) => { row.serverIndex = index; });
    try {
      if (!sending.length) { finishLocal(); return; }
      const created = await api("/api/batches", { method: "POST", headers: { ...HEADERS, "Content-Type": "application/json" }, body: JSON.stringify({ count: sending.length }) });
      batchId = created.id;
      let next = 0;
      const uploadNext = async () => { while (next < sending.length) { const row = sending[next++]; await upload(row); } };
      await Promise.all([uploadNext(), uploadNext()]);  // two at a time
      await api(`/api/batches/${batchId}/start`, { method: "POST", headers: HEADERS });
      await poll();
    } catch (error) {
      $("notice").textContent = error.message;
      rows.filter((row) => !row.done && !row.refused).forEach((row) => showRefused(row, `${row.name}：未处理 —— ${error.message}`));
      finishLocal();
    }
  }

  function upload(row) {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open("PUT", `/api/batches/${batchId}/files/${row.serverIndex}?name=${encodeURIComponent(row.name)}`);
      xhr.setRequestHeader("X-Perfxl", "1");
      xhr.upload.onprogress = (event) => { if (event.lengthComputable) setState(row, `上传中 ${Math.round(100 * event.loaded / event.total)}%`, event.loaded / event.total); };
      xhr.onload = () => {
        if (xhr.status === 201) { setState(row, "已上传，等待处理", 1); resolve(); return; }
        let message = `上传失败（${xhr.status}）`;
        try { message = JSON.parse(xhr.responseText).error || message; } catch (e) { /* not JSON */ }
        if (xhr.status === 413) { showRefused(row, `${row.name}：无法处理 —— ${message}`); resolve(); return; }
        reject(new Error(message));
      };
      xhr.onerror = () => reject(new Error("网络连接中断，上传失败。请检查网络后重新上传。"));
      setState(row, "上传中 0%", 0);
      xhr.send(row.file);
    });
  }

  async function poll() {
    for (;;) {
      const state = await api(`/api/batches/${batchId}`, {});
      render(state);
      if (state.state === "done") { finish(state); return; }
      await new Promise((resolve) => setTimeout(resolve, 600));
    }
  }

  function render(state) {
    for (const item of state.files) {
      const row = rows.find((candidate) => candidate.serverIndex === item.index);
      if (!row || row.done) continue;
      if (item.state === "done") showResult(row, item);
      else if (item.state === "processing") setState(row, "处理中…", null);
      else if (item.state === "queued") setState(row, "排队等待处理", 0);
    }
    const finished = rows.filter((row) => row.done).length;
    $("overall").textContent = `已完成 ${finished} / ${rows.length}`;
    $("overall-bar").style.width = `${100 * finished / rows.length}%`;
  }

  function finish(state) {
    const extra = rows.filter((row) => row.refused).length;
    $("tally").textContent = state.tally + (extra ? `另有 ${extra} 个文件未上传（见上）。` : "");
    $("zip").href = state.zip_url || "#";
    $("zip").hidden = !state.zip_url;
    if (state.summary_url) { $("summary").href = state.summary_url; $("summary").hidden = false; }
    if (state.summary_error) $("batch-note").textContent = state.summary_error;
    $("batch-actions").hidden = false;
    busy = false;
  }

  function finishLocal() {
    $("overall").textContent = `已完成 ${rows.filter((row) => row.done).length} / ${rows.length}`;
    $("batch-actions").hidden = false;
    $("zip").hidden = true;
    busy = false;
  }

  // ------------------------------------------------------------------ the table of files
  function addRow(row) {
    const tr = document.createElement("tr");
    tr.innerHTML = '<td class="name"></td><td class="state"><span></span><div class="mini"><div></div></div></td><td class="verdict-cell"></td><td class="downloads"></td>';
    tr.querySelector(".name").textContent = row.name;
    row.el = tr;
    $("file-rows").appendChild(tr);
    setState(row, "等待上传", 0);
  }

  function setState(row, text, fraction) {
    row.el.querySelector(".state span").textContent = text;
    const mini = row.el.querySelector(".mini");
    mini.classList.toggle("busy", fraction === null);
    mini.firstElementChild.style.width = fraction === null ? "" : `${Math.round(100 * fraction)}%`;
  }

  function showRefused(row, line) {
    row.done = true;
    const tag = document.createElement("span");
    tag.className = "tag warning";
    tag.textContent = "无法处理";
    row.el.querySelector(".state").replaceChildren(tag);
    const p = document.createElement("p");
    p.className = "verdict refused";
    p.textContent = line;
    row.el.querySelector(".verdict-cell").replaceChildren(p);
  }

  function showResult(row, item) {
    row.done = true;
    const cell = row.el.querySelector(".verdict-cell");
    cell.replaceChildren();
    const stateText = { 0: "通过", 1: "有错误", 2: item.status }[item.exit_code] || item.status;
    const tag = document.createElement("span");
    tag.className = `tag ${item.exit_code === 0 ? "ok" : item.exit_code === 1 ? "error" : "warning"}`;
    tag.textContent = stateText;
    row.el.querySelector(".state").replaceChildren(tag);
    for (const line of item.lines) {
      const p = document.createElement("p");
      p.className = `verdict ${item.exit_code === 0 ? "ok" : item.exit_code === 1 ? "bad" : "refused"}`;
      p.textContent = line.trim();
      cell.appendChild(p);
    }
    for (const form of item.forms || []) {
      for (const line of form.head) {
        const p = document.createElement("p");
        p.className = "head";
        p.textContent = (item.forms.length > 1 ? `［${form.sheet}］` : "") + line;
        cell.appendChild(p);
      }
    }
    const links = row.el.querySelector(".downloads");
    for (const download of item.downloads || []) {
      const a = document.createElement("a");
      a.href = download.url;
      a.setAttribute("download", download.name);
      a.textContent = download.kind === "report" ? "自评报告.docx" : (download.name.toLowerCase().endsWith(".xlsm") ? "自评结果.xlsm" : "自评结果.xlsx");
      a.title = download.name;
      links.appendChild(a);
    }
    addFindings(row, item);
  }

  // ------------------------------------------------------------------ the findings table
  function addFindings(row, item) {
    if (findingsShown[item.index]) return;
    findingsShown[item.index] = true;
    const forms = item.forms || [];
    if (!forms.some((form) => form.findings.length)) return;
    $("findings").hidden = false;
    const option = document.createElement("option");
    option.value = String(item.index);
    option.textContent = row.name;
    $("file-filter").appendChild(option);
    for (const form of forms) {
      for (const finding of form.findings) {
        const tr = document.createElement("tr");
        tr.dataset.severity = finding.severity;
        tr.dataset.file = String(item.index);
        const cells = [
          ["file", row.name + (forms.length > 1 ? `［${form.sheet}］` : "")],
          ["cell", finding.cell],
          ["sev", null],
          ["problem", finding.problem],
          ["fix", finding.fix],
          ["code", finding.code],
        ];
        for (const [name, text] of cells) {
          const td = document.createElement("td");
          td.className = name;
          if (name === "sev") {
            const tag = document.createElement("span");
            tag.className = `tag ${finding.severity}`;
            tag.textContent = finding.severity_zh;
            td.appendChild(tag);
          } else td.textContent = text;
          tr.appendChild(td);
        }
        tr.firstElementChild.title = row.name;
        tr.lastElementChild.title = finding.code;
        tr.dataset.text = `${finding.cell} ${finding.message} ${finding.code} ${row.name}`.toLowerCase();
        $("finding-rows").appendChild(tr);
      }
    }
    filter();
  }

  function filter() {
    const wanted = new Set(Array.from(document.querySelectorAll(".sev")).filter((box) => box.checked).map((box) => box.value));
    const file = $("file-filter").value;
    const text = $("search").value.trim().toLowerCase();
    let shown = 0;
    let previous = null;
    const counts = { error: 0, warning: 0, info: 0 };
    for (const tr of $("finding-rows").children) {
      const inFile = !file || tr.dataset.file === file;
      const matches = !text || tr.dataset.text.includes(text);
      if (inFile && matches) counts[tr.dataset.severity] += 1;
      const visible = wanted.has(tr.dataset.severity) && inFile && matches;
      tr.hidden = !visible;
      if (visible) {
        shown += 1;
        tr.classList.toggle("same-file", previous === tr.dataset.file);  // the file's name once per group
        previous = tr.dataset.file;
      }
    }
    for (const [severity, count] of Object.entries(counts)) document.querySelector(`[data-count="${severity}"]`).textContent = `(${count})`;
    $("finding-count").textContent = `显示 ${shown} / ${$("finding-rows").children.length} 项`;
    $("no-findings").hidden = shown > 0;
  }
  document.querySelectorAll(".sev").forEach((box) => box.addEventListener("change", filter));
  $("file-filter").addEventListener("change", filter);
  $("search").addEventListener("input", filter);

  // ------------------------------------------------------------------ after the batch
  $("zip").addEventListener("click", () => {
    setTimeout(() => {
      document.querySelectorAll("#batch a").forEach((a) => a.classList.add("disabled"));
      $("delete").hidden = true;
      $("batch-note").textContent = "已下载全部结果；服务器上的这批文件已删除。";
    }, 1500);
  });
  $("delete").addEventListener("click", async () => {
    if (!batchId) return;
    try {
      await api(`/api/batches/${batchId}`, { method: "DELETE", headers: HEADERS });
      document.querySelectorAll("#batch a").forEach((a) => a.classList.add("disabled"));
      $("delete").hidden = true;
      $("batch-note").textContent = "服务器上的这批文件已删除。";
    } catch (error) { $("batch-note").textContent = error.message; }
  });
  $("again").addEventListener("click", () => { reset(); $("batch").hidden = true; $("findings").hidden = true; window.scrollTo(0, 0); });

  function reset() {
    batchId = null; rows = []; findingsShown = {};
    $("file-rows").replaceChildren(); $("finding-rows").replaceChildren();
    $("file-filter").replaceChildren(new Option("全部文件", ""));
    $("tally").textContent = ""; $("batch-note").textContent = ""; $("overall").textContent = "";
    $("overall-bar").style.width = "0"; $("batch-actions").hidden = true; $("summary").hidden = true; $("delete").hidden = false;
    $("findings").hidden = true;
  }

  // ------------------------------------------------------------------ talking to the server
  async function api(url, options) {
    const response = await fetch(url, options);
    if (!response.ok) {
      if (response.status === 401) { $("app").hidden = true; $("login").hidden = false; }
      throw new Error(await errorText(response));
    }
    return response.json();
  }

  async function errorText(response) {
    try { return (await response.json()).error || `服务器返回错误（${response.status}）。`; }
    catch (e) { return `服务器返回错误（${response.status}）。`; }
  }
})();
