// main.js: the chat page. Wires the UI to the engine adapter (engine.js), the model cache (models.js),
// conversations and settings in IndexedDB (store.js), Markdown rendering, sharing and speech.

import { loadEngine, environment, explainError } from './engine.js';
import { readGgufHeader, unsupportedReason, formatBytes, formatCount } from './gguf.js';
import * as models from './models.js';
import * as store from './store.js';
import { renderMarkdown } from './markdown.js';
import * as share from './share.js';
import * as speech from './speech.js';

export const DEFAULT_SETTINGS = {
  system: '',
  temperature: 0.7,
  topK: 40,
  topP: 0.95,
  minP: 0.05,
  repeatPenalty: 1.1,
  maxTokens: 512,
  seed: '',
  contextSize: '',
  threads: '',
  backend: 'auto',
};
const DEMO_MODEL_URL = 'models/demo.gguf';

const $ = (id) => document.getElementById(id);
const el = (tag, props = {}, ...children) => {
  const e = Object.assign(document.createElement(tag), props);
  e.append(...children.filter((c) => c != null));
  return e;
};

const state = {
  settings: { ...DEFAULT_SETTINGS },
  conversations: [],
  current: null, // the open conversation
  engine: null,
  modelEntry: null, // {id?, name, size, header}
  generating: null, // AbortController of the answer being written
  loading: null, // AbortController of the model being loaded
  cacheOk: false,
  cachedModels: [],
};

// ---- banners ------------------------------------------------------------------------------------

function banner(text, kind = 'error', key = '') {
  const box = $('banners');
  if (key) box.querySelector(`[data-key="${key}"]`)?.remove();
  const b = el('div', { className: `banner ${kind}`, role: kind === 'error' ? 'alert' : 'status' },
    el('span', { className: 'banner-text', textContent: text }),
    el('button', { type: 'button', className: 'link-btn', textContent: 'Dismiss', ariaLabel: 'Dismiss message', onclick: () => b.remove() }));
  if (key) b.dataset.key = key;
  box.append(b);
  return b;
}

function clearErrors() {
  for (const b of $('banners').querySelectorAll('.banner.error')) b.remove();
}

// ---- settings -----------------------------------------------------------------------------------

function readSettingsForm() {
  const f = $('settings-form');
  const s = { ...state.settings, system: $('s-system').value };
  for (const key of Object.keys(DEFAULT_SETTINGS)) {
    const input = f.elements[key];
    if (!input || key === 'system') continue;
    s[key] = input.type === 'number' ? (input.value === '' ? '' : Number(input.value)) : input.value;
  }
  return s;
}

function fillSettingsForm() {
  const f = $('settings-form');
  $('s-system').value = state.settings.system;
  for (const [key, value] of Object.entries(state.settings)) {
    if (f.elements[key] && key !== 'system') f.elements[key].value = value;
  }
}

async function saveSettings() {
  state.settings = readSettingsForm();
  await store.put('settings', state.settings, 'settings');
}

function samplerOptions() {
  const s = state.settings;
  const extra = {};
  // The fortune demo model (no chat template) writes fortunes separated by "%" lines: one per answer.
  if (state.engine?.completionOnly && /fortune/i.test(state.modelEntry?.header?.name ?? '')) extra.stop = ['\n%'];
  const num = (v, d) => (v === '' || !Number.isFinite(Number(v)) ? d : Number(v));
  const opts = {
    temperature: num(s.temperature, DEFAULT_SETTINGS.temperature),
    topK: num(s.topK, DEFAULT_SETTINGS.topK),
    topP: num(s.topP, DEFAULT_SETTINGS.topP),
    minP: num(s.minP, DEFAULT_SETTINGS.minP),
    repeatPenalty: num(s.repeatPenalty, DEFAULT_SETTINGS.repeatPenalty),
    maxTokens: num(s.maxTokens, DEFAULT_SETTINGS.maxTokens),
  };
  if (s.seed !== '' && Number(s.seed) >= 0) opts.seed = Number(s.seed);
  return { ...opts, ...extra };
}

// ---- theme --------------------------------------------------------------------------------------

const THEMES = ['auto', 'light', 'dark'];
const THEME_LABEL = { auto: 'Theme: follow the system', light: 'Theme: light', dark: 'Theme: dark' };

function applyTheme(theme) {
  if (theme === 'auto') delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = theme;
  const btn = $('toggle-theme');
  btn.setAttribute('aria-label', THEME_LABEL[theme]);
  btn.title = THEME_LABEL[theme];
  btn.dataset.theme = theme;
}

function effectiveDark() {
  const t = document.documentElement.dataset.theme;
  return t ? t === 'dark' : matchMedia('(prefers-color-scheme: dark)').matches;
}

// The toggle flips what is shown (light <-> dark); a third state, auto, comes back on the next click
// when the flipped theme equals the system's again.
async function toggleTheme() {
  const systemDark = matchMedia('(prefers-color-scheme: dark)').matches;
  const nextDark = !effectiveDark();
  const theme = nextDark === systemDark ? 'auto' : nextDark ? 'dark' : 'light';
  applyTheme(theme);
  await store.put('settings', theme, 'theme');
}

// ---- conversations ------------------------------------------------------------------------------

function newConversation() {
  return { id: store.newId(), title: '', system: state.settings.system, model: state.modelEntry?.name ?? '', messages: [], createdAt: Date.now(), updatedAt: Date.now() };
}

async function saveConversation(conv) {
  conv.updatedAt = Date.now();
  if (!state.conversations.includes(conv)) state.conversations.unshift(conv);
  await store.put('conversations', structuredClone(conv));
  if (conv === state.current) await store.put('settings', conv.id, 'currentConversation');
  renderConversationList();
}

function renderConversationList() {
  const list = $('conv-list');
  list.replaceChildren();
  const convs = state.conversations.filter((c) => c.messages.length).sort((a, b) => b.updatedAt - a.updatedAt);
  if (!convs.length) list.append(el('li', { className: 'hint', textContent: 'No chats yet.' }));
  for (const c of convs) {
    const title = c.title || 'New chat';
    const open = el('button', { type: 'button', className: 'conv-open', textContent: title, title, onclick: () => openConversation(c) });
    if (c === state.current) open.setAttribute('aria-current', 'true');
    const del = el('button', { type: 'button', className: 'icon-btn small', textContent: '✕', ariaLabel: `Delete chat "${title}"`, onclick: () => deleteConversation(c) });
    list.append(el('li', { className: c === state.current ? 'current' : '' }, open, del));
  }
}

async function openConversation(conv) {
  stopGenerating();
  state.current = conv;
  renderMessages();
  renderConversationList();
  closeDrawers();
  $('prompt').focus();
  await store.put('settings', conv.id, 'currentConversation');
}

async function deleteConversation(conv) {
  if (state.generating && conv === state.current) stopGenerating();
  state.conversations = state.conversations.filter((c) => c !== conv);
  await store.remove('conversations', conv.id);
  if (conv === state.current) state.current = newConversation();
  renderMessages();
  renderConversationList();
}

// ---- messages -----------------------------------------------------------------------------------

function formatStats(st) {
  const parts = [];
  if (st.tokensPerSecond) parts.push(`${st.tokensPerSecond.toFixed(1)} tok/s`);
  if (st.ttft !== undefined) parts.push(`TTFT ${st.ttft < 1 ? `${Math.round(st.ttft * 1000)} ms` : `${st.ttft.toFixed(2)} s`}`);
  if (st.tokens !== undefined) parts.push(`${st.tokens} tokens`);
  if (st.stopped) parts.push('stopped');
  return parts.join(' · ');
}

// A plain text answer as shown: no leading blank space, deep indentation (fortunes indent with runs
// of spaces) shortened so it reads on a phone. The text itself is kept as written.
function plainDisplay(text) {
  return text.trimStart().replace(/^[ \t]{3,}/gm, '   ');
}

function messageView(msg, index) {
  const isUser = msg.role === 'user';
  const body = el('div', { className: 'msg-body' });
  if (isUser) body.textContent = msg.content;
  else if (msg.plain) body.textContent = plainDisplay(msg.content);
  else body.innerHTML = renderMarkdown(msg.content);
  if (msg.plain) body.classList.add('plain');
  // A finished answer with no visible text (a small model can end its turn at once, or with blanks
  // only): say so instead of leaving an empty bubble.
  if (!isUser && msg.stats && !msg.stats.stopped && !msg.content.trim()) {
    body.append(el('span', { className: 'empty-answer', textContent: 'The model ended its answer without any text. Try Regenerate, or a higher temperature.' }));
  }
  const node = el('article', { className: `msg ${msg.role}`, ariaLabel: isUser ? 'You' : 'Assistant' },
    el('div', { className: 'msg-role', textContent: isUser ? 'You' : 'Assistant' }), body);
  node.dataset.index = index;
  if (!isUser) {
    const foot = el('div', { className: 'msg-foot' });
    foot.append(el('span', { className: 'stats', textContent: msg.stats ? formatStats(msg.stats) : '' }));
    const actions = el('span', { className: 'msg-actions' });
    actions.append(el('button', { type: 'button', className: 'link-btn', textContent: 'Copy', ariaLabel: 'Copy answer', onclick: () => navigator.clipboard?.writeText(msg.content) }));
    if (speech.canSpeak) {
      const btn = el('button', { type: 'button', className: 'link-btn read-aloud', textContent: 'Read aloud', ariaLabel: 'Read the answer aloud' });
      btn.onclick = () => {
        if (btn.dataset.on) { speech.stopSpeaking(); return; }
        btn.dataset.on = '1';
        btn.textContent = 'Stop reading';
        speech.speak(msg.content, () => { delete btn.dataset.on; btn.textContent = 'Read aloud'; });
      };
      actions.append(btn);
    }
    if (index === state.current.messages.length - 1) {
      actions.append(el('button', { type: 'button', className: 'link-btn regenerate', textContent: 'Regenerate', ariaLabel: 'Regenerate the answer', onclick: regenerate }));
    }
    foot.append(actions);
    node.append(foot);
  }
  return node;
}

function renderMessages() {
  const box = $('messages');
  box.replaceChildren(...state.current.messages.map(messageView));
  $('empty').hidden = state.current.messages.length > 0;
  scrollToEnd(true);
}

function scrollToEnd(force = false) {
  const box = $('messages');
  const near = box.scrollHeight - box.scrollTop - box.clientHeight < 120;
  if (force || near) box.scrollTop = box.scrollHeight;
}

// ---- generating ---------------------------------------------------------------------------------

function setGenerating(on) {
  $('send').hidden = on;
  $('stop').hidden = !on;
  document.body.classList.toggle('generating', on);
  for (const b of document.querySelectorAll('.regenerate')) b.disabled = on;
}

function stopGenerating() {
  state.generating?.abort();
}

async function send(text) {
  if (state.generating) return;
  if (!state.engine) {
    banner(state.loading ? 'The model is still loading.' : 'Load a model first: open a .gguf file, paste a URL, or try the demo model.', 'error', 'no-model');
    return;
  }
  const conv = state.current;
  if (!conv.title) conv.title = text.replace(/\s+/g, ' ').trim().slice(0, 60);
  conv.messages.push({ role: 'user', content: text });
  await answer(conv);
}

async function regenerate() {
  const conv = state.current;
  if (state.generating || !conv.messages.length) return;
  if (conv.messages.at(-1).role === 'assistant') conv.messages.pop();
  if (!state.engine) {
    banner('Load a model first.', 'error', 'no-model');
    return;
  }
  await answer(conv);
}

async function answer(conv) {
  clearErrors();
  conv.system = state.settings.system;
  conv.model = state.modelEntry?.name ?? conv.model;
  // A plain text model's continuation is shown as written (its indentation is not Markdown code).
  const msg = { role: 'assistant', content: '', ...(state.engine.completionOnly ? { plain: true } : {}) };
  conv.messages.push(msg);
  renderMessages();
  const node = $('messages').lastElementChild;
  const body = node.querySelector('.msg-body');
  const statsEl = node.querySelector('.stats');
  node.classList.add('streaming');
  statsEl.textContent = 'Thinking…';
  const controller = new AbortController();
  state.generating = controller;
  setGenerating(true);

  const history = conv.messages.slice(0, -1).map(({ role, content }) => ({ role, content }));
  if (conv.system.trim()) history.unshift({ role: 'system', content: conv.system });
  let stats = null;
  let pending = false;
  const paint = () => {
    pending = false;
    if (msg.plain) body.textContent = plainDisplay(msg.content);
    else body.innerHTML = renderMarkdown(msg.content);
    scrollToEnd();
  };
  try {
    for await (const piece of state.engine.chat(history, { signal: controller.signal, sampler: samplerOptions(), onStats: (s) => { stats = s; } })) {
      msg.content += piece;
      if (statsEl.textContent === 'Thinking…') statsEl.textContent = 'Writing…';
      if (!pending) {
        pending = true;
        requestAnimationFrame(paint);
      }
    }
  } catch (e) {
    if (!controller.signal.aborted) banner(`The answer failed: ${explainError(e)}`);
  }
  const stopped = controller.signal.aborted;
  msg.stats = { ...(stats ?? {}), ...(stopped ? { stopped: true } : {}) };
  state.generating = null;
  setGenerating(false);
  if (!msg.content && !stopped && !stats) conv.messages.pop();
  await saveConversation(conv);
  renderMessages();
}

// ---- models -------------------------------------------------------------------------------------

function progress(text, fraction) {
  $('progress').hidden = false;
  $('progress-text').textContent = text;
  const bar = $('progress-bar');
  if (fraction === null || !Number.isFinite(fraction)) bar.removeAttribute('value');
  else bar.value = Math.min(1, Math.max(0, fraction));
}

function progressDone() {
  $('progress').hidden = true;
}

// The engine's onProgress may pass (loaded, total) or ({loaded, total}).
function progressReporter(label) {
  return (a, b) => {
    const loaded = typeof a === 'object' ? a.loaded : a;
    const total = typeof a === 'object' ? a.total : b;
    progress(total ? `${label} ${formatBytes(loaded)} of ${formatBytes(total)}` : `${label} ${formatBytes(loaded ?? 0)}`, total ? loaded / total : null);
  };
}

function renderModelChip() {
  const chip = $('model-chip');
  document.body.classList.toggle('has-model', !!state.engine);
  if (!state.engine) {
    chip.textContent = state.loading ? 'Loading…' : 'No model loaded';
    chip.classList.toggle('loaded', false);
    return;
  }
  const e = state.engine;
  chip.replaceChildren(
    el('span', { className: 'chip-name', textContent: state.modelEntry.name }),
    el('span', { className: 'chip-meta', textContent: `${e.backend === 'webgpu' ? 'WebGPU' : 'CPU'} · ${e.threads} thread${e.threads === 1 ? '' : 's'}` }));
  chip.classList.toggle('loaded', true);
}

function renderModelDetails() {
  const box = $('model-details');
  const h = state.modelEntry?.header;
  if (!state.engine || !h) {
    box.hidden = true;
    return;
  }
  const rows = [
    ['architecture', h.architecture],
    ['name', h.name || '—'],
    ['file', `${formatBytes(h.fileSize)}, GGUF v${h.version}`],
    ['file type', h.fileType || '—'],
    ['parameters', formatCount(h.parameters)],
    ['tensors', `${h.tensorCount} (${Object.entries(h.tensorTypes).map(([t, n]) => `${t.toLowerCase()}: ${n}`).join(', ')})`],
    ['context (trained)', h.contextLength ?? '—'],
    ['embedding', h.embeddingLength ?? '—'],
    ['layers', h.layers ?? '—'],
    ['heads (kv)', h.heads ? `${h.heads} (${h.kvHeads ?? h.heads})` : '—'],
    ['feed-forward', h.feedForward ?? '—'],
    ['vocabulary', h.vocabSize ? `${h.vocabSize} (${h.tokenizer})` : '—'],
    ['chat template', h.chatTemplate ? 'from the file' : 'none (messages are continued as text)'],
    ['backend', `${state.engine.backend === 'webgpu' ? 'WebGPU' : 'CPU (WebAssembly)'}, ${state.engine.threads} thread${state.engine.threads === 1 ? '' : 's'}`],
  ];
  $('model-info').replaceChildren(...rows.flatMap(([k, v]) => [el('dt', { textContent: k }), el('dd', { textContent: String(v) })]));
  box.hidden = false;
}

async function renderModelList() {
  const list = $('model-list');
  const entries = state.cacheOk ? await models.listCached() : [];
  state.cachedModels = entries;
  list.replaceChildren();
  for (const m of entries) {
    const active = state.modelEntry?.id === m.id && state.engine;
    const use = el('button', { type: 'button', className: 'link-btn', textContent: active ? 'Loaded' : 'Use', disabled: !!active, ariaLabel: `Use model ${m.name}`, onclick: () => loadModel({ cachedId: m.id }) });
    const del = el('button', { type: 'button', className: 'link-btn danger-text', textContent: 'Delete', ariaLabel: `Delete cached model ${m.name}`, onclick: () => deleteModel(m) });
    list.append(el('li', { className: active ? 'active' : '' },
      el('div', { className: 'model-name', textContent: m.name, title: m.name }),
      el('div', { className: 'model-meta' },
        el('span', { textContent: [formatBytes(m.size), m.header?.fileType].filter(Boolean).join(' · ') }),
        el('span', { className: 'model-actions' }, use, del))));
  }
  if (state.cacheOk) {
    const est = await models.storageEstimate();
    $('cache-note').textContent = entries.length
      ? `Cached in this browser${est?.quota ? ` (${formatBytes(est.usage)} of ${formatBytes(est.quota)} used)` : ''}:`
      : 'Models you open are cached in this browser (OPFS) for the next visit.';
  } else {
    $('cache-note').textContent = 'This browser offers no model cache (OPFS): models are read again on each visit.';
  }
}

async function deleteModel(m) {
  if (state.modelEntry?.id === m.id && state.engine) await unloadModel();
  await models.deleteCached(m.id);
  if ((await store.get('settings', 'lastModel')) === m.id) await store.remove('settings', 'lastModel');
  await renderModelList();
}

async function unloadModel() {
  stopGenerating();
  const e = state.engine;
  state.engine = null;
  state.modelEntry = null;
  await e?.unload().catch(() => {});
  renderModelChip();
  renderModelDetails();
}

function baseName(url) {
  try {
    return decodeURIComponent(new URL(url, location.href).pathname.split('/').pop()) || url;
  } catch {
    return url;
  }
}

// Loads a model from {file}, {url} or {cachedId}. Files and downloads go to the cache first (when there
// is one) and the engine reads them from there.
async function loadModel(source) {
  if (state.loading) state.loading.abort();
  const controller = new AbortController();
  state.loading = controller;
  const { signal } = controller;
  clearErrors();
  $('banners').querySelector('[data-key="no-model"]')?.remove();
  await unloadModel();
  state.loading = controller;
  renderModelChip();
  let cachedId = null;
  try {
    let file;
    let entry;
    if (source.cachedId) {
      entry = (await models.listCached()).find((m) => m.id === source.cachedId);
      if (!entry) throw new Error('That cached model is gone.');
      progress(`Opening ${entry.name}…`, null);
      file = await models.openCached(entry.id);
      if (!entry.header) entry.header = await readGgufHeader(file);
    } else if (source.file) {
      progress(`Reading ${source.file.name}…`, null);
      const header = await readGgufHeader(source.file);
      const why = unsupportedReason(header);
      if (why) throw Object.assign(new Error(why), { code: 'unsupported' });
      entry = { name: source.file.name, size: source.file.size, header };
      file = source.file;
      if (state.cacheOk) {
        const existing = (await models.listCached()).find((m) => m.name === entry.name && m.size === entry.size);
        if (existing) {
          entry = existing;
        } else {
          entry = await models.saveStream(source.file.stream(), source.file.size, entry, { onProgress: progressReporter('Caching'), signal });
          cachedId = entry.id;
        }
        file = await models.openCached(entry.id);
      }
    } else if (source.url) {
      const name = baseName(source.url);
      if (state.cacheOk) {
        progress(`Downloading ${name}…`, null);
        const res = await fetch(source.url, { signal });
        if (!res.ok) {
          throw Object.assign(new Error(res.status === 404
            ? `${source.url} was not found (404).${source.demo ? ' The demo model is not part of this build: see the README to add it.' : ''}`
            : `${source.url} answered ${res.status} ${res.statusText}.`), { code: 'network' });
        }
        const total = Number(res.headers.get('content-length')) || 0;
        entry = await models.saveStream(res.body, total, { name, source: source.url }, { onProgress: progressReporter('Downloading'), signal });
        cachedId = entry.id;
        file = await models.openCached(entry.id);
        entry.header = await readGgufHeader(file);
        if (entry.header.name) entry.name = entry.header.name;
        const why = unsupportedReason(entry.header);
        if (why) throw Object.assign(new Error(why), { code: 'unsupported' });
        await store.put('models', entry);
      } else {
        entry = { name, size: 0, header: null };
        file = source.url;
      }
    }
    progress(`Loading ${entry.name} into the engine…`, 0);
    const s = state.settings;
    const engine = await loadEngine(file, {
      onProgress: progressReporter('Loading'),
      signal,
      backend: s.backend,
      threads: Number(s.threads) || 0,
      contextSize: Number(s.contextSize) || 0,
    });
    if (signal.aborted) {
      await engine.unload();
      return;
    }
    state.engine = engine;
    state.modelEntry = entry;
    for (const note of engine.notes) banner(note, 'note', note.slice(0, 20));
    if (engine.completionOnly) {
      banner(`${entry.name} has no chat template, so it is a plain text model: each message you send is continued as text.`, 'note', 'completion');
    }
    if (entry.id) await store.put('settings', entry.id, 'lastModel');
    cachedId = null;
  } catch (e) {
    if (!signal.aborted) banner(explainError(e));
    else banner('Loading was cancelled.', 'note', 'cancel');
    if (cachedId) await models.deleteCached(cachedId);
  } finally {
    if (state.loading === controller) {
      state.loading = null;
      progressDone();
    }
    renderModelChip();
    renderModelDetails();
    await renderModelList();
  }
}

// ---- drawers (phone layout) ---------------------------------------------------------------------

function setDrawer(which, open) {
  const panel = $(which);
  const btn = $(which === 'sidebar' ? 'toggle-sidebar' : 'toggle-settings');
  panel.classList.toggle('open', open);
  btn.setAttribute('aria-expanded', String(open));
  const any = $('sidebar').classList.contains('open') || $('settings').classList.contains('open');
  $('scrim').hidden = !any;
}

function closeDrawers() {
  setDrawer('sidebar', false);
  setDrawer('settings', false);
}

// ---- start --------------------------------------------------------------------------------------

function autoGrow(t) {
  t.style.height = 'auto';
  t.style.height = `${Math.min(t.scrollHeight, 200)}px`;
}

function bindEvents() {
  const prompt = $('prompt');
  const narrow = matchMedia('(max-width: 900px)');
  const placeholder = () => {
    prompt.placeholder = narrow.matches ? 'Message the model…' : 'Message the model — Enter to send, Shift+Enter for a new line';
  };
  narrow.addEventListener('change', placeholder);
  placeholder();
  $('composer').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const text = prompt.value.trim();
    if (!text || state.generating) return;
    if (!state.engine) {
      // keep what was typed
      banner(state.loading ? 'The model is still loading.' : 'Load a model first: open a .gguf file, paste a URL, or try the demo model.', 'error', 'no-model');
      return;
    }
    prompt.value = '';
    autoGrow(prompt);
    send(text);
  });
  prompt.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) {
      ev.preventDefault();
      $('composer').requestSubmit();
    }
  });
  prompt.addEventListener('input', () => autoGrow(prompt));
  document.addEventListener('keydown', (ev) => {
    if (ev.key !== 'Escape') return;
    if (state.generating) {
      ev.preventDefault();
      stopGenerating();
    } else {
      closeDrawers();
    }
  });
  $('stop').addEventListener('click', stopGenerating);
  $('new-chat').addEventListener('click', () => openConversation(newConversation()));

  for (const id of ['file-input', 'empty-file']) {
    $(id).addEventListener('change', (ev) => {
      const f = ev.target.files?.[0];
      ev.target.value = '';
      if (f) loadModel({ file: f });
    });
  }
  $('url-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const url = $('url-input').value.trim();
    if (url) loadModel({ url });
  });
  const loadDemo = () => {
    const cached = state.cachedModels.find((m) => m.source === new URL(DEMO_MODEL_URL, location.href).href);
    loadModel(cached ? { cachedId: cached.id } : { url: new URL(DEMO_MODEL_URL, location.href).href, demo: true });
  };
  $('demo-model').addEventListener('click', loadDemo);
  $('empty-demo').addEventListener('click', loadDemo);
  $('cancel-load').addEventListener('click', () => state.loading?.abort());

  let dragDepth = 0;
  addEventListener('dragenter', (ev) => {
    if (!ev.dataTransfer?.types.includes('Files')) return;
    dragDepth++;
    $('drop-overlay').hidden = false;
  });
  addEventListener('dragleave', () => {
    if (--dragDepth <= 0) { dragDepth = 0; $('drop-overlay').hidden = true; }
  });
  addEventListener('dragover', (ev) => ev.preventDefault());
  addEventListener('drop', (ev) => {
    ev.preventDefault();
    dragDepth = 0;
    $('drop-overlay').hidden = true;
    const f = ev.dataTransfer?.files?.[0];
    if (f) loadModel({ file: f });
  });

  $('settings-form').addEventListener('change', saveSettings);
  $('s-system').addEventListener('input', saveSettings);
  $('reset-settings').addEventListener('click', async () => {
    state.settings = { ...DEFAULT_SETTINGS };
    fillSettingsForm();
    await saveSettings();
  });
  $('toggle-theme').addEventListener('click', toggleTheme);
  $('toggle-sidebar').addEventListener('click', () => setDrawer('sidebar', !$('sidebar').classList.contains('open')));
  $('toggle-settings').addEventListener('click', () => {
    if (matchMedia('(max-width: 1100px)').matches) setDrawer('settings', !$('settings').classList.contains('open'));
    else {
      document.body.classList.toggle('settings-hidden');
      $('toggle-settings').setAttribute('aria-expanded', String(!document.body.classList.contains('settings-hidden')));
    }
  });
  $('close-settings').addEventListener('click', () => setDrawer('settings', false));
  $('scrim').addEventListener('click', closeDrawers);

  $('export-md').addEventListener('click', () => share.download(share.fileName(state.current, 'md'), share.toMarkdown(state.current), 'text/markdown'));
  $('export-json').addEventListener('click', () => share.download(share.fileName(state.current, 'json'), share.toJson(state.current), 'application/json'));
  $('share').addEventListener('click', async () => {
    if (!state.current.messages.length) { $('share-note').textContent = 'Nothing to share yet.'; return; }
    if (await share.shareNative(state.current)) return;
    const link = await share.shareLink(state.current);
    const note = $('share-note');
    note.replaceChildren();
    const a = el('a', { href: link, textContent: 'a link that carries this chat', target: '_blank', rel: 'noopener' });
    try {
      await navigator.clipboard.writeText(link);
      note.append('Copied ', a, ' to the clipboard.');
    } catch {
      note.append('Share ', a, ' (or export a file above).');
    }
  });

  $('messages').addEventListener('click', (ev) => {
    const btn = ev.target.closest('.copy-code');
    if (!btn) return;
    navigator.clipboard?.writeText(btn.parentElement.querySelector('code').textContent);
    btn.textContent = 'Copied';
    setTimeout(() => { btn.textContent = 'Copy'; }, 1200);
  });

  if (speech.canDictate) {
    const mic = $('dictate');
    mic.hidden = false;
    let stop = null;
    mic.addEventListener('click', () => {
      if (stop) { stop(); return; }
      mic.setAttribute('aria-pressed', 'true');
      stop = speech.dictate({
        onText: (t) => { prompt.value = (prompt.value ? `${prompt.value} ` : '') + t.trim(); autoGrow(prompt); },
        onEnd: () => { stop = null; mic.setAttribute('aria-pressed', 'false'); },
        onError: (err) => banner(`Dictation stopped: ${err}.`, 'note', 'dictation'),
      });
    });
  }
}

function describeEnvironment() {
  const env = environment();
  const parts = [
    env.isolated ? `multi-threaded (${env.cores} cores)` : 'single-threaded (page not cross-origin isolated)',
    env.webgpu ? 'WebGPU available' : 'no WebGPU: CPU only',
    state.cacheOk ? 'model cache on' : 'no model cache',
  ];
  $('env-line').textContent = `This browser: ${parts.join(' · ')}.`;
  if (!env.isolated) {
    banner('This page is not cross-origin isolated (served without COOP/COEP headers), so models run on a single thread. Serve it with node tools/serve-demo.mjs (or any server sending those headers) for threads.', 'note', 'isolation');
  }
}

async function start() {
  const [saved, theme, cacheOk] = await Promise.all([
    store.get('settings', 'settings'),
    store.get('settings', 'theme'),
    models.cacheAvailable(),
  ]);
  state.cacheOk = cacheOk;
  state.settings = { ...DEFAULT_SETTINGS, ...(saved ?? {}) };
  fillSettingsForm();
  applyTheme(theme ?? 'auto');
  bindEvents();
  describeEnvironment();

  state.conversations = (await store.getAll('conversations')).sort((a, b) => b.updatedAt - a.updatedAt);
  const shared = await share.conversationFromFragment(location.hash).catch(() => null);
  if (shared) {
    const conv = { ...newConversation(), title: shared.title || 'Shared chat', system: shared.system ?? '', model: shared.model ?? '', messages: shared.messages };
    await saveConversation(conv);
    history.replaceState(null, '', location.pathname + location.search);
    state.current = conv;
    banner('Opened a shared chat; it is now saved in this browser.', 'note', 'shared');
  } else {
    const currentId = await store.get('settings', 'currentConversation');
    state.current = state.conversations.find((c) => c.id === currentId) ?? newConversation();
  }
  renderMessages();
  renderConversationList();
  renderModelChip();
  await renderModelList();

  const last = await store.get('settings', 'lastModel');
  if (last && state.cacheOk && (await models.listCached()).some((m) => m.id === last)) {
    await loadModel({ cachedId: last });
  }
  document.body.dataset.ready = 'true';
}

start().catch((e) => {
  banner(`The page failed to start: ${e.message}`);
  document.body.dataset.ready = 'true';
});
