// models.js: models kept in the browser so a reload does not re-read them. The bytes go to the Origin
// Private File System (OPFS); the list (name, size, header summary) goes to IndexedDB. Where OPFS is not
// offered (or refuses to write) the page says so and loads models straight from their source.

import * as store from './store.js';

let opfsChecked = null;

async function modelsDir() {
  const root = await navigator.storage.getDirectory();
  return root.getDirectoryHandle('models', { create: true });
}

// True when models can be cached (OPFS with writable files).
export function cacheAvailable() {
  opfsChecked ??= (async () => {
    try {
      if (!navigator.storage?.getDirectory) return false;
      const dir = await modelsDir();
      const h = await dir.getFileHandle('.probe', { create: true });
      if (!h.createWritable) return false;
      const w = await h.createWritable();
      await w.write(new Uint8Array([1]));
      await w.close();
      await dir.removeEntry('.probe');
      return true;
    } catch {
      return false;
    }
  })();
  return opfsChecked;
}

export async function listCached() {
  const list = await store.getAll('models');
  return list.sort((a, b) => b.addedAt - a.addedAt);
}

// Streams `stream` (a ReadableStream of bytes, `total` bytes long or unknown) into the cache under a
// new id and records `meta`. Progress: onProgress(loaded, total).
export async function saveStream(stream, total, meta, { onProgress, signal } = {}) {
  const id = store.newId();
  const dir = await modelsDir();
  const handle = await dir.getFileHandle(id, { create: true });
  const writable = await handle.createWritable();
  let loaded = 0;
  const reader = stream.getReader();
  try {
    for (;;) {
      if (signal?.aborted) throw new DOMException('Loading was cancelled.', 'AbortError');
      const { done, value } = await reader.read();
      if (done) break;
      await writable.write(value);
      loaded += value.byteLength;
      onProgress?.(loaded, total);
    }
    await writable.close();
  } catch (e) {
    await writable.abort().catch(() => {});
    await dir.removeEntry(id).catch(() => {});
    if (e?.name === 'QuotaExceededError') {
      throw Object.assign(new Error('Not enough browser storage to cache this model.'), { code: 'quota' });
    }
    throw e;
  }
  const entry = { ...meta, id, size: loaded, addedAt: Date.now() };
  await store.put('models', entry);
  return entry;
}

export async function openCached(id) {
  const dir = await modelsDir();
  const handle = await dir.getFileHandle(id);
  return handle.getFile();
}

export async function deleteCached(id) {
  try {
    const dir = await modelsDir();
    await dir.removeEntry(id);
  } catch {
    // already gone: only the list entry is left to remove
  }
  await store.remove('models', id);
}

// Bytes used and available for the origin, when the browser says.
export async function storageEstimate() {
  try {
    return await navigator.storage.estimate();
  } catch {
    return null;
  }
}
