// A fresh PostgreSQL database for one benchmark run, dropped afterwards.
const crypto = require('node:crypto');
const knex = require('knex');

async function throwawayPostgres(adminUrl) {
  const name = `metabot_bench_${crypto.randomBytes(6).toString('hex')}`;
  const admin = knex({ client: 'pg', connection: adminUrl });
  await admin.raw(`create database ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: async () => { await admin.raw(`drop database if exists ${name} with (force)`); await admin.destroy(); } };
}

module.exports = { throwawayPostgres };
