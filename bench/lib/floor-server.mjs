/**
 * The floor of the application tier on this machine: a bare Fastify server whose one route runs one SELECT by
 * primary key on a pg pool of the service's size and answers the row as JSON. No Nest, no guard, no validation, no
 * rate limit: what any Node.js service built on these libraries pays per request at least. The summary bench drives
 * it with the same client and concurrency as the service, so its ratio to `pgbench -N` is the highest the service
 * could reach with any SQL.
 *
 *   node bench/lib/floor-server.mjs <database url> <port> <pool size>
 */
import Fastify from 'fastify';
import pg from 'pg';
import process from 'node:process';

const [url, port, poolSize] = process.argv.slice(2);
const pool = new pg.Pool({ connectionString: url, max: Number(poolSize) });
const app = Fastify({ logger: false });
app.get('/floor/:id', async (request, reply) => {
  const { rows } = await pool.query({ name: 'floor', text: 'SELECT * FROM placements WHERE id = $1', values: [request.params.id] });
  if (!rows.length) return reply.code(404).send({ status: 404 });
  return rows[0];
});
await app.listen({ host: '127.0.0.1', port: Number(port) });
process.send?.('ready');
process.on('SIGTERM', async () => {
  await app.close();
  await pool.end();
  process.exit(0);
});
