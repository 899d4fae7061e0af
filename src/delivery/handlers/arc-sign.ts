// `arc-sign`: the ARC seal belongs to each copy as it leaves, after decoration changed the body,
// so the out runner applies it (src/runners/out.ts, through sealCopy below) and a pipeline naming
// this step is warned (MM505): the step itself leaves the message alone.
import { defineHandler } from '../../registry.js';
import type { MsgData } from '../../queue/qfile.js';
import type { Config } from '../../config/config.js';
import { arcSettings, seal, type Verdict } from '../authenticity.js';

export default defineHandler({
  name: 'arc-sign',
  description: 'ARC-seal each copy as it is sent ([ARC] enabled); the out runner does it, not a pipeline step.',
  perCopy: true,
  process() {
    // Sealing before the out runner decorates the copy would seal a body that then changes.
  },
});

/** A copy with its ARC set on top, when [ARC] is enabled; the copy itself otherwise. */
export async function sealCopy(config: Config, msgdata: MsgData, raw: Buffer): Promise<Buffer> {
  const settings = arcSettings(config);
  if (!settings) return raw;
  const v = msgdata.arc_verdict as Verdict | undefined;
  // Mail that never went through validate-authenticity (our own notices) starts a chain.
  const verdict: Verdict = v ?? { results: `${settings.authservId}; none`, cv: 'none' };
  return Buffer.concat([await seal(raw, settings, verdict), raw]);
}
