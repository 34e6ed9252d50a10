/** Bearer-token guard of the admin API: without the right token, 401 and nothing else. */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

export function adminGuard(adminToken: string) {
  const expected = digest(adminToken);
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const header = request.headers.authorization;
    const given = typeof header === 'string' && header.startsWith('Bearer ') ? header.slice(7).trim() : '';
    if (!given || !timingSafeEqual(digest(given), expected)) {
      reply.header('www-authenticate', 'Bearer');
      return reply
        .status(401)
        .send({ error: { code: 'unauthorized', message: 'a valid admin bearer token is required' } });
    }
  };
}

const digest = (value: string) => createHash('sha256').update(value).digest();
