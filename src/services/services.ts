// Everything a runner, the REST server or a CLI command needs, opened once per process.
import type { DataSource } from 'typeorm';
import type { Config } from '../config/config.js';
import { openDatabase } from '../model/data-source.js';
import { openSql, type Sql } from '../model/sql.js';
import { Switchboards } from '../queue/switchboard.js';
import { DomainManager } from './domains.js';
import { DomainOwnerManager } from './domain-owners.js';
import { ListArchiverManager } from './list-archivers.js';
import { ListManager } from './lists.js';
import { UserManager } from './users.js';
import { MemberManager } from './members.js';
import { MessageStore } from './message-store.js';
import { RequestManager } from './requests.js';
import { AutoResponseManager } from './autoresponses.js';
import { BanManager } from './bans.js';
import { HeaderMatchManager } from './header-matches.js';
import { PendingManager } from './pendings.js';
import { TemplateLoader } from './templates.js';
import { TemplateUriManager } from './template-uris.js';
import { WorkflowManager } from './workflows.js';
import { PreferenceManager } from './preferences.js';
import { MtaMaps } from './mta-maps.js';
import { BounceProcessor } from './bounces.js';
import { Dns } from './dns.js';
import { verpFormats } from '../email/bounces/verp-formats.js';
import { LastDigestManager } from './last-digests.js';

export class Services {
  readonly domains: DomainManager;
  readonly domainOwners: DomainOwnerManager;
  /** Each list's switch per site archiver. */
  readonly listArchivers: ListArchiverManager;
  readonly lists: ListManager;
  readonly users: UserManager;
  readonly members: MemberManager;
  /** The preference cascade: each layer's own preferences, and a member's effective ones. */
  readonly preferences: PreferenceManager;
  /** Members owed one last digest after leaving digest delivery. */
  readonly lastDigests: LastDigestManager;
  readonly messages: MessageStore;
  readonly requests: RequestManager;
  readonly autoresponses: AutoResponseManager;
  readonly bans: BanManager;
  readonly headerMatches: HeaderMatchManager;
  readonly queues: Switchboards;
  readonly pendings: PendingManager;
  readonly templates: TemplateLoader;
  /** Where each template comes from per list, domain and site (the `uris` REST resources). */
  readonly templateUris: TemplateUriManager;
  /** Subscriptions and unsubscriptions with their confirmations, approvals and notices. */
  readonly workflows: WorkflowManager;
  /** Bounce events, their scoring, the warnings and removals that follow. */
  readonly bounces: BounceProcessor;
  /** The MTA's map files (Postfix), rewritten after every list or domain change. */
  readonly mtaMaps: MtaMaps;
  /** DNS for DMARC, DKIM and ARC lookups ([dns] nameservers). */
  readonly dns: Dns;
  readonly senderHeaders: readonly string[];
  /** Prepared raw SQL for the hot paths; everything else goes through TypeORM. */
  readonly sql: Sql;

  private constructor(
    readonly config: Config,
    readonly db: DataSource,
  ) {
    this.sql = openSql(db);
    this.dns = new Dns(config);
    // Read and checked here, so a wrong [mta] verp_* key stops the process at start.
    verpFormats(config);
    this.domains = new DomainManager(db, this.sql);
    this.lists = new ListManager(
      db,
      this.sql,
      this.domains,
      config.get('mailman', 'listname_chars'),
      config.get('styles', 'default'),
    );
    this.mtaMaps = new MtaMaps(config, this.sql);
    this.lists.onChange(() => this.mtaMaps.changed());
    this.domains.onChange(() => this.mtaMaps.changed());
    this.users = new UserManager(db, this.sql);
    this.domainOwners = new DomainOwnerManager(db, this.users);
    this.listArchivers = new ListArchiverManager(db, this.sql, config);
    this.messages = new MessageStore(db, config.path('paths', 'messages_dir'));
    this.requests = new RequestManager(db);
    this.autoresponses = new AutoResponseManager(db, this.sql, config.int('mta', 'max_autoresponses_per_day'));
    this.bans = new BanManager(db, this.sql);
    this.lastDigests = new LastDigestManager(db, this.sql);
    this.preferences = new PreferenceManager(db, this.sql, config.get('mailman', 'default_language'), this.lastDigests);
    this.members = new MemberManager(db, this.sql, this.users, this.bans, this.lastDigests);
    this.headerMatches = new HeaderMatchManager(db, this.sql);
    this.queues = new Switchboards(config.queueDir);
    this.pendings = new PendingManager(db);
    this.templates = new TemplateLoader(
      db,
      config.path('paths', 'template_dir'),
      config.get('mailman', 'default_language'),
      config.durationMs('mailman', 'cache_life'),
      undefined,
      config.get('mailman', 'site_owner'),
    );
    this.templateUris = new TemplateUriManager(db, this.templates.fileDirs);
    this.workflows = new WorkflowManager({
      config,
      pendings: this.pendings,
      members: this.members,
      users: this.users,
      bans: this.bans,
      templates: this.templates,
      queues: this.queues,
      preferences: this.preferences,
    });
    this.bounces = new BounceProcessor(this);
    this.senderHeaders = config
      .get('mailman', 'sender_headers')
      .split(/\s+/)
      .filter(Boolean)
      .map((h) => h.toLowerCase());
  }

  static async open(config: Config, opts: { migrate?: boolean } = {}): Promise<Services> {
    return new Services(config, await openDatabase(config, opts));
  }

  get siteOwner(): string {
    return this.config.get('mailman', 'site_owner');
  }

  async close(): Promise<void> {
    if (this.db.isInitialized) await this.db.destroy();
  }
}
