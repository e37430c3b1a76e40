// GET /v1/metrics (Part A §22): go-metrics JSON, or Prometheus text with `?format=prometheus`.
import { Router } from 'express';
import type { HttpContext } from '../context.ts';
import { HttpError } from '../errors.ts';
import { queryString } from '../query.ts';
import { sendJson } from '../respond.ts';
import { onlyMethods } from './methods.ts';

export function metricsRoutes(ctx: HttpContext): Router {
  const r = Router();
  r.all('/v1/metrics', onlyMethods(['GET']), async (req, res) => {
    ctx.refreshMetrics();
    const format = queryString(req, 'format');
    if (format === 'prometheus') {
      const text = await ctx.metrics.prometheus();
      res.status(200).type(ctx.metrics.prometheusContentType).send(text);
      return;
    }
    if (format !== undefined && format !== '' && format !== 'json') throw new HttpError(400, `Invalid format: ${format} (use prometheus or leave it out)`);
    sendJson(req, res, ctx.metrics.json());
  });
  return r;
}
