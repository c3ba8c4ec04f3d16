// Public media: profile pictures only (they are shown in <img> tags, which send no token).
// Receipts and invoices are served by their own modules after a permission check.
import { z } from 'zod';
import { notFound } from '../http/errors.ts';
import type { AppInstance } from '../http/types.ts';
import { MIME_TYPES, extensionKind } from './detect.ts';

export async function mediaRoutes(app: AppInstance) {
  // Receipts and invoices: only through a signed link handed out to someone allowed to see them.
  app.get(
    '/media/private/:folder/:file',
    {
      config: { auth: 'none' },
      schema: {
        hide: true,
        params: z.object({ folder: z.enum(['receipts', 'invoices']), file: z.string().regex(/^[0-9a-f-]{36}\.(pdf|png|jpeg|gif|webp|doc|docx)$/) }),
        querystring: z.object({ expires: z.coerce.number().int(), signature: z.string().max(100) }),
      },
    },
    async (request, reply) => {
      const key = `${request.params.folder}/${request.params.file}`;
      if (!app.urlSigner.verify(key, request.query.expires, request.query.signature)) throw notFound('This link is invalid or has expired.');
      const data = await app.files.read(key);
      const kind = extensionKind(request.params.file);
      if (!data || !kind) throw notFound();
      return reply
        .header('content-type', MIME_TYPES[kind])
        .header('cache-control', 'private, max-age=300')
        .header('content-security-policy', "default-src 'none'; sandbox")
        .header('content-disposition', `inline; filename="${request.params.file}"`)
        .send(data);
    },
  );

  app.get(
    '/media/profile_pics/:file',
    { config: { auth: 'none' }, schema: { hide: true, params: z.object({ file: z.string().regex(/^[0-9a-f-]{36}\.(png|jpeg|gif|webp)$/) }) } },
    async (request, reply) => {
      const data = await app.files.read(`profile_pics/${request.params.file}`);
      const kind = extensionKind(request.params.file);
      if (!data || !kind) throw notFound();
      return reply
        .header('content-type', MIME_TYPES[kind])
        .header('cache-control', 'public, max-age=86400, immutable')
        .header('content-security-policy', "default-src 'none'; sandbox")
        .send(data);
    },
  );
}
