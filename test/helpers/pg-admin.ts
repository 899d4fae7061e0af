// `node pg-admin.js create|drop SERVER_URL NAME`: creates or drops one database. A separate
// process so test set-up that must stay synchronous (TestServer.prepare) can still make one.
import pg from 'pg';

const [op, server, name] = process.argv.slice(2);
if (!/^(create|drop)$/.test(op ?? '') || !server || !/^mm_[a-z0-9_]+$/.test(name ?? '')) {
  console.error('usage: pg-admin create|drop postgres://USER@HOST:PORT/ mm_NAME');
  process.exit(2);
}
const client = new pg.Client({
  connectionString: new URL('postgres', server.endsWith('/') ? server : server + '/').href,
});
await client.connect();
try {
  await client.query(op === 'create' ? `CREATE DATABASE ${name}` : `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
} finally {
  await client.end();
}
