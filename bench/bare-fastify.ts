// The baseline for the cached product read: a bare Fastify (no plugins, no logging) serving the
// same product JSON from memory. Run by bench/run.ts as a process of its own.
import Fastify from 'fastify';

const product = { id: 1, code: 'BENCH-1', name: 'Bench product', price: '10.00', total_stock: 10_000_000, available_stock: 10_000_000 };
const app = Fastify({ logger: false });
app.get('/api/products/:id', async () => product);
app.get('/health/ready', async () => ({ status: 'ok' }));
await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT) });
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
