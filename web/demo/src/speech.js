// speech.js: dictation (Web Speech recognition) and reading answers aloud (speechSynthesis). Each is
// offered only where the browser has it; the buttons stay hidden otherwise.

const Recognition = globalThis.SpeechRecognition ?? globalThis.webkitSpeechRecognition;

export const canDictate = typeof Recognition === 'function';
export const canSpeak = typeof globalThis.speechSynthesis !== 'undefined' && typeof globalThis.SpeechSynthesisUtterance === 'function';

// Starts dictation; onText(finalText) for each finished phrase, onEnd() when it stops. Returns stop().
export function dictate({ onText, onEnd, onError }) {
  const rec = new Recognition();
  rec.lang = navigator.language || 'en-US';
  rec.interimResults = false;
  rec.continuous = true;
  rec.onresult = (ev) => {
    for (let i = ev.resultIndex; i < ev.results.length; i++) {
      if (ev.results[i].isFinal) onText(ev.results[i][0].transcript);
    }
  };
  rec.onerror = (ev) => onError?.(ev.error);
  rec.onend = () => onEnd?.();
  rec.start();
  return () => rec.stop();
}

export function speak(text, onEnd) {
  speechSynthesis.cancel();
  const u = new SpeechSynthesisUtterance(text);
  u.onend = () => onEnd?.();
  u.onerror = () => onEnd?.();
  speechSynthesis.speak(u);
}

export function stopSpeaking() {
  if (canSpeak) speechSynthesis.cancel();
}
