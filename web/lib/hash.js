/**
 * The page's state in the URL hash, so that a link reopens exactly what was on screen
 * (TensorFlow Playground keeps its state in the hash the same way). One module for both
 * views:
 *   graph view   "#g=" + base64url(UTF-8 JSON)         (a program does not fit key=value)
 *   conv view    "#conv&n=7&f=3..."                    (short numbers, readable in a link)
 * Writing replaces the history entry (stepping must not fill the back button) and is
 * throttled: holding → steps many times a second, and browsers throttle (and warn about)
 * that many history updates.
 */

const WRITE_DELAY_MS = 150;
let pending = 0;
let latest = null;

/** Which view a hash belongs to: "conv" for "#conv" or "#conv&...", else "graph". */
export function viewOf(hash) {
  const h = hash || "";
  if (h === "#conv" || h.startsWith("#conv&")) return "conv";
  if (h === "#net" || h.startsWith("#net&")) return "net";
  return "graph";
}

function toBase64Url(text) {
  const bytes = new TextEncoder().encode(text);
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64Url(code) {
  const b64 = code.replace(/-/g, "+").replace(/_/g, "/");
  const binary = atob(b64 + "===".slice((b64.length + 3) % 4));
  return new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
}

/** "#g=..." for a JSON document. */
export function jsonHash(doc) {
  return "#g=" + toBase64Url(JSON.stringify(doc));
}

/** The JSON document of a "#g=..." hash, or null. */
export function readJsonHash(hash) {
  const match = /^#?g=([A-Za-z0-9_-]+)/.exec(hash || "");
  if (!match) return null;
  try {
    return JSON.parse(fromBase64Url(match[1]));
  } catch {
    return null;
  }
}

/** "#name&k=v&..." for a list of [key, value] pairs. */
export function paramHash(name, pairs) {
  return "#" + [name, ...pairs.map(([k, v]) => `${k}=${encodeURIComponent(v)}`)].join("&");
}

/** The key=value pairs of "#name&k=v&..." as URLSearchParams. */
export function readParamHash(hash, name) {
  return new URLSearchParams((hash || "").replace(new RegExp(`^#${name}&?`), ""));
}

/** Put a hash in the address bar now, without a history entry. */
export function writeHash(hash) {
  clearTimeout(pending);
  pending = 0;
  if (location.hash !== hash) history.replaceState(null, "", hash);
}

/** Write a hash soon (the last one wins); flushHash() writes it at once. */
export function scheduleHash(hash) {
  latest = hash;
  if (!pending) pending = setTimeout(() => writeHash(latest), WRITE_DELAY_MS);
}

export function flushHash() {
  if (pending) writeHash(latest);
}
