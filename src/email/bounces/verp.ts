// VERP: a copy sent from `list-bounces+anne=example.org@host` comes back to that address, so
// the bounce names its member whatever the remote MTA writes in its body. The address is
// read from the recipient (the LMTP envelope) or the headers MTAs copy it into.

/** Where MTAs leave the address a bounce was delivered to. */
export const VERP_HEADERS = ['To', 'Delivered-To', 'Envelope-To', 'Apparently-To', 'X-Original-To'];
