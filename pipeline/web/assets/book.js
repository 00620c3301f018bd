// The print preview as a page-turner (one spread at a time, arrows, jump to page or chapter,
// zoomed single page) and, in live preview, swapping in each new build without losing the page.
// Without this script the page still works: every spread is listed and the downloads are links.
"use strict";
(function () {
  const root = document.documentElement;
  let current = 1; // the page the reader is looking at, kept across live updates
  let zoomed = 0; // the page shown in the zoom dialog, 0 when closed

  const $ = (sel, el) => (el || document).querySelector(sel);
  const $$ = (sel, el) => Array.from((el || document).querySelectorAll(sel));
  const preview = () => $("#preview");
  const pageCount = () => Number((preview() || {}).dataset ? preview().dataset.pages : 0) || 0;
  const spreadOf = (p) => (p <= 1 ? 0 : Math.floor(p / 2));
  const firstOf = (s) => (s === 0 ? 1 : 2 * s);
  const clamp = (p) => Math.min(Math.max(1, p | 0), Math.max(1, pageCount()));
  const storageKey = () => "page:" + (document.body.dataset.slug || "");

  function show(p) {
    const box = preview();
    if (!box) return;
    current = clamp(p);
    const index = spreadOf(current);
    const spreads = $$(".spread", box);
    spreads.forEach((el, i) => el.classList.toggle("current", i === index));
    // fetch the neighbours' images now so that turning the page is instant
    [index - 1, index + 1].forEach((i) => { if (spreads[i]) $$("img", spreads[i]).forEach((img) => { img.loading = "eager"; }); });
    const shown = $$(".page[data-page]", spreads[index] || box).map((a) => Number(a.dataset.page));
    const last = shown[shown.length - 1] || current;
    $(".where", box).textContent = shown.length > 1 ? `Pages ${shown[0]}–${last} of ${pageCount()}` : `Page ${shown[0] || 1} of ${pageCount()}`;
    $(".prev", box).disabled = index === 0;
    $(".next", box).disabled = last >= pageCount();
    const input = $(".jump input", box);
    if (document.activeElement !== input) input.value = current;
    const select = $("select.chapter", box);
    let chapter = "";
    $$("option", select).forEach((o) => { if (o.value && Number(o.value) <= last) chapter = o.value; });
    select.value = chapter;
    try { sessionStorage.setItem(storageKey(), String(current)); } catch (e) { /* storage may be off */ }
  }

  const turn = (delta) => show(firstOf(Math.max(0, spreadOf(current) + delta)));

  function openZoom(p) {
    const dialog = $("dialog.zoom");
    if (!dialog || !dialog.showModal) return false;
    zoomed = clamp(p);
    const link = $("#page-" + zoomed);
    $(".zoom-body img", dialog).src = link.dataset.zoom;
    $(".zoom-body img", dialog).alt = "Page " + zoomed;
    $(".zoom-where", dialog).textContent = `Page ${zoomed} of ${pageCount()}`;
    $(".zoom-pdf", dialog).href = preview().dataset.pdf + "#page=" + zoomed;
    $(".zoom-prev", dialog).disabled = zoomed <= 1;
    $(".zoom-next", dialog).disabled = zoomed >= pageCount();
    // the spread behind follows now, not on the dialog's (asynchronous) close event, so that
    // whatever is read or clicked right after closing already sees the page last zoomed
    show(zoomed);
    if (!dialog.open) dialog.showModal();
    return true;
  }

  function closeZoom() {
    const dialog = $("dialog.zoom");
    if (dialog && dialog.open) dialog.close();
  }

  function wire() {
    const box = preview();
    if (!box) return;
    root.classList.add("js");
    // one spread at a time, as large as fits the window (CSSOM: allowed by the page's CSP)
    box.style.setProperty("--aspect", box.dataset.aspect || "0.64");
    $(".toolbar", box).hidden = false;
    $(".prev", box).addEventListener("click", () => turn(-1));
    $(".next", box).addEventListener("click", () => turn(1));
    $(".jump input", box).addEventListener("change", (e) => show(Number(e.target.value)));
    $(".jump input", box).addEventListener("keydown", (e) => { if (e.key === "Enter") show(Number(e.target.value)); });
    // on a touch screen a sideways swipe turns the page
    let touch = null;
    $(".spreads", box).addEventListener("touchstart", (e) => { touch = e.changedTouches[0]; }, { passive: true });
    $(".spreads", box).addEventListener("touchend", (e) => {
      const end = e.changedTouches[0];
      if (!touch) return;
      const dx = end.clientX - touch.clientX, dy = end.clientY - touch.clientY;
      touch = null;
      if (Math.abs(dx) > 50 && Math.abs(dx) > 2 * Math.abs(dy)) turn(dx < 0 ? 1 : -1);
    }, { passive: true });
    $("select.chapter", box).addEventListener("change", (e) => { if (e.target.value) show(Number(e.target.value)); });
    $$(".page[data-page]", box).forEach((a) => a.addEventListener("click", (e) => {
      if (openZoom(Number(a.dataset.page))) e.preventDefault();
    }));
    $$(".contents a[data-page]").forEach((a) => a.addEventListener("click", (e) => {
      e.preventDefault();
      show(Number(a.dataset.page));
      box.scrollIntoView({ behavior: "smooth", block: "start" });
    }));
    const dialog = $("dialog.zoom");
    if (dialog) {
      $(".zoom-close", dialog).addEventListener("click", closeZoom);
      $(".zoom-prev", dialog).addEventListener("click", () => openZoom(zoomed - 1));
      $(".zoom-next", dialog).addEventListener("click", () => openZoom(zoomed + 1));
      // a live update replaces the dialog while it is open: the old one's close event arrives
      // after the new one has opened, and must not mark the new one closed
      dialog.addEventListener("close", () => { if (dialog.isConnected) zoomed = 0; });
      dialog.addEventListener("click", (e) => { if (e.target === dialog) closeZoom(); });
    }
  }

  function initialPage() {
    const m = /^#page-(\d+)$/.exec(location.hash);
    if (m) return Number(m[1]);
    try { return Number(sessionStorage.getItem(storageKey())) || 1; } catch (e) { return 1; }
  }

  document.addEventListener("keydown", (e) => {
    if (e.altKey || e.ctrlKey || e.metaKey || !preview()) return;
    const tag = (e.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "select" || tag === "textarea") return;
    // left and right only: PageUp, PageDown, Home and End keep scrolling the page as usual
    const back = e.key === "ArrowLeft";
    const fwd = e.key === "ArrowRight";
    if (!back && !fwd) return;
    e.preventDefault();
    if (zoomed) openZoom(zoomed + (fwd ? 1 : -1));
    else turn(fwd ? 1 : -1);
  });

  // Live preview: the server says when a build finished; fetch the new page and swap it in.
  function setStatus(text, cls) {
    const el = $("#live-status");
    if (!el) return;
    el.textContent = text;
    el.className = "live-status" + (cls ? " " + cls : "");
  }

  async function refresh() {
    const response = await fetch(location.pathname, { cache: "no-store" });
    const doc = new DOMParser().parseFromString(await response.text(), "text/html");
    const wasZoomed = zoomed;
    closeZoom();
    $("#app").replaceWith(doc.getElementById("app"));
    const newStatus = doc.getElementById("live-status");
    if (newStatus && $("#live-status")) $("#live-status").replaceWith(newStatus);
    const newDialog = doc.querySelector("dialog.zoom");
    const oldDialog = $("dialog.zoom");
    if (newDialog && oldDialog) oldDialog.replaceWith(newDialog);
    else if (newDialog) document.body.appendChild(newDialog);
    document.body.dataset.build = doc.body.dataset.build || "";
    document.body.dataset.version = doc.body.dataset.version || "";
    document.title = doc.title;
    wire();
    show(current);
    if (wasZoomed) openZoom(Math.min(wasZoomed, pageCount()));
  }

  function listen(url) {
    const events = new EventSource(url);
    events.addEventListener("building", () => setStatus("Rebuilding after your edit…", "building"));
    events.addEventListener("build", (e) => {
      const state = JSON.parse(e.data);
      if (String(state.version) === document.body.dataset.version) {
        setStatus(state.status, state.errors ? "failed" : "");
        return;
      }
      document.body.dataset.version = state.version;
      refresh().catch(() => setStatus("Could not load the new build; reload the page", "failed"));
    });
    events.onerror = () => setStatus("Lost contact with the preview server; retrying…", "failed");
  }

  function start() {
    wire();
    show(initialPage());
    // a #page-N link focuses that page's anchor (when the browser scrolls to it, up to the load
    // event), and its focus ring would frame one page of the spread
    const unfocus = () => {
      const focused = document.activeElement;
      if (focused && focused.classList && focused.classList.contains("page")) focused.blur();
    };
    unfocus();
    window.addEventListener("load", () => setTimeout(unfocus, 0));
    if (document.body.dataset.live && window.EventSource) listen(document.body.dataset.live);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
