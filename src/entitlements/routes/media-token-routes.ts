/**
 * `GET /media-tokens/jwks.json`: the public keys of the media tokens, for verifiers
 * (tokens/media-token-verifier.ts, `domus media-token verify`). Public, cacheable for 5 minutes.
 */
import { Type } from 'typebox';
import type { HttpServer } from '../../platform/http/server.js';
import { MEDIA_TOKEN_JWKS_PATH, type MediaTokens } from '../tokens/media-tokens.js';

const Jwks = Type.Object({ keys: Type.Array(Type.Record(Type.String(), Type.Unknown())) });

export function mediaTokenRoutes(app: HttpServer, mediaTokens: MediaTokens): void {
  app.get(
    MEDIA_TOKEN_JWKS_PATH,
    {
      schema: {
        tags: ['entitlement API: media tokens'],
        summary: 'the JWKS that verifies media tokens',
        response: { 200: Jwks },
      },
    },
    async (_request, reply) => {
      reply.header('cache-control', 'public, max-age=300');
      return mediaTokens.jwks();
    },
  );
}
