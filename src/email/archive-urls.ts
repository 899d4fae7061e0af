// What archivers build their URLs from: the post's Message-ID-Hash (the LMTP server stamps it;
// Mailman's archivers fall back to X-Message-ID-Hash), and a URL relative to their base_url.
import { messageIdHash, type Message } from './message.js';

/** The post's hash, as stamped, else computed from its Message-ID; undefined without either. */
export function messageHashOf(msg: Message): string | undefined {
  const stamped = (msg.get('message-id-hash') ?? msg.get('x-message-id-hash'))?.trim();
  if (stamped && /^[A-Z2-7]+$/.test(stamped)) return stamped;
  const id = msg.messageId;
  return id ? messageIdHash(id) : undefined;
}

/** `relative` resolved against `base` as a browser would; undefined when base is not a URL. */
export function archiveUrl(base: string, relative: string): string | undefined {
  try {
    return new URL(relative, base).href;
  } catch {
    return undefined;
  }
}

/** The base with a trailing slash, so relative paths go below it rather than replace its last part. */
export function directoryUrl(base: string): string {
  return base.endsWith('/') ? base : `${base}/`;
}
