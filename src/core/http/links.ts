// Absolute URLs for responses: the web client opens receipt and invoice links in a new tab.
import type { FastifyRequest } from 'fastify';

export interface Links {
  /** Signed, absolute link to a private stored file, or null. */
  privateFile(key: string | null): string | null;
  absolute(path: string): string;
}

export function linksFor(request: FastifyRequest): Links {
  const origin = `${request.protocol}://${request.host}`;
  return {
    privateFile: (key) => (key ? `${origin}${request.server.urlSigner.sign(key)}` : null),
    absolute: (path) => `${origin}${path}`,
  };
}
