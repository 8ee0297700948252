// share.js: a conversation out of the page: Markdown and JSON files, the Web Share API where offered,
// and a link carrying the conversation compressed in its fragment (never sent to a server).

export function toMarkdown(conv) {
  const lines = [`# ${conv.title || 'Conversation'}`, ''];
  if (conv.model) lines.push(`*Model: ${conv.model}*`, '');
  if (conv.system) lines.push('**System:**', '', conv.system, '');
  for (const m of conv.messages) {
    lines.push(`**${m.role === 'user' ? 'You' : 'Assistant'}:**`, '', m.content, '');
  }
  return lines.join('\n');
}

export function toJson(conv) {
  const { title, system, model, messages, createdAt } = conv;
  return JSON.stringify({
    format: 'wasm-chord-conversation', version: 1, title, system, model, createdAt,
    messages: messages.map(({ role, content, stats }) => ({ role, content, ...(stats ? { stats } : {}) })),
  }, null, 2);
}

export function fileName(conv, ext) {
  const base = (conv.title || 'conversation').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 40);
  return `${base || 'conversation'}.${ext}`;
}

export function download(name, text, type) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function toBase64Url(bytes) {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(s) {
  const bin = atob(s.replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(bin, (ch) => ch.charCodeAt(0));
}

async function pipe(bytes, transform) {
  return new Uint8Array(await new Response(new Blob([bytes]).stream().pipeThrough(transform)).arrayBuffer());
}

// A link to this page with the conversation in the fragment (#c=...).
export async function shareLink(conv) {
  const bytes = new TextEncoder().encode(toJson(conv));
  const packed = await pipe(bytes, new CompressionStream('deflate-raw'));
  return `${location.origin}${location.pathname}#c=${toBase64Url(packed)}`;
}

// The conversation carried by this page's fragment, or null.
export async function conversationFromFragment(hash) {
  const m = /^#c=([A-Za-z0-9_-]+)$/.exec(hash);
  if (!m) return null;
  const bytes = await pipe(fromBase64Url(m[1]), new DecompressionStream('deflate-raw'));
  const data = JSON.parse(new TextDecoder().decode(bytes));
  if (data.format !== 'wasm-chord-conversation' || !Array.isArray(data.messages)) return null;
  return data;
}

// Web Share API with the Markdown text; false where the browser has none (the caller offers a file/link).
export async function shareNative(conv) {
  if (!navigator.share) return false;
  const text = toMarkdown(conv);
  const file = new File([text], fileName(conv, 'md'), { type: 'text/markdown' });
  const data = navigator.canShare?.({ files: [file] }) ? { title: conv.title, files: [file] } : { title: conv.title, text };
  try {
    await navigator.share(data);
  } catch (e) {
    if (e.name !== 'AbortError') return false;
  }
  return true;
}
