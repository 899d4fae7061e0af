// Every schema migration, oldest first; TypeORM runs those a database has not seen yet.
import { Initial1764100000000 } from './0001-initial.js';
import { Moderation1764200000000 } from './0002-moderation.js';
import { Delivery1764300000000 } from './0003-delivery.js';
import { AutoResponses1764400000000 } from './0004-autoresponses.js';
import { Pendings1764500000000 } from './0005-pendings.js';
import { Preferences1764600000000 } from './0006-preferences.js';
import { AutoResponseSettings1764700000000 } from './0007-autoresponse-settings.js';
import { AutoResponseCounts1764800000000 } from './0008-autoresponse-counts.js';
import { DomainOwnersArchivers1764900000000 } from './0009-domain-owners-archivers.js';
import { MailmanClientSettings1765000000000 } from './0010-mailman-client-settings.js';
import { BounceEvents1765100000000 } from './0011-bounce-events.js';
import { OneLastDigest1765200000000 } from './0012-one-last-digest.js';
import { NntpHost1765300000000 } from './0013-nntp-host.js';

export const MIGRATIONS = [
  Initial1764100000000,
  Moderation1764200000000,
  Delivery1764300000000,
  AutoResponses1764400000000,
  Pendings1764500000000,
  Preferences1764600000000,
  AutoResponseSettings1764700000000,
  AutoResponseCounts1764800000000,
  DomainOwnersArchivers1764900000000,
  MailmanClientSettings1765000000000,
  BounceEvents1765100000000,
  OneLastDigest1765200000000,
  NntpHost1765300000000,
];
