import { Controller, Get, Inject, Param, Req, Res } from '@nestjs/common';
import {
  ATTRIBUTION_COOKIE,
  attributionHash,
  DEVICE_COOKIE,
  signClickToken,
} from '@rewards/contracts';
import { Clock, isPublicClientAddress, rawRequest, rawResponse } from '@rewards/service-kit';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { ReferralsConfig } from '../config/referrals.config';
import { ClickRecorder } from './click-recorder';
import { CodeDirectory } from './code-directory';
import { codeOfSlug } from './slug';

const ATTRIBUTION_MAX_AGE_S = 30 * 24 * 3600;
const DEVICE_MAX_AGE_S = 2 * 365 * 24 * 3600;
const DEVICE_ID = /^[A-Za-z0-9._:-]{8,128}$/;
/** Landing locations kept (one per active code clicked); all are dropped past it. */
const MAX_LANDINGS = 10_000;

function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** The device id a client presents: its X-Device-Id header (apps) or our cookie (browsers). */
function presentedDeviceId(req: IncomingMessage): string | undefined {
  const header = req.headers['x-device-id'];
  if (typeof header === 'string' && DEVICE_ID.test(header)) return header;
  const cookie = cookieValue(req.headers.cookie, DEVICE_COOKIE);
  return cookie !== undefined && DEVICE_ID.test(cookie) ? cookie : undefined;
}

/** The client's address as the gateway reports it (first X-Forwarded-For entry). */
function clientIp(req: IncomingMessage): string | undefined {
  const forwarded = req.headers['x-forwarded-for'];
  const first = typeof forwarded === 'string' ? forwarded.split(',')[0].trim() : '';
  return first !== '' ? first : req.socket.remoteAddress;
}

/**
 * A bare 302 on Node's response: a framework's redirect (Express negotiates the Accept header to
 * write a body) does work no client of a share link reads, on the hottest public route.
 */
function redirect(res: ServerResponse, location: string): void {
  res.statusCode = 302;
  res.setHeader('location', location);
  res.setHeader('content-length', '0');
  res.end();
}

function isHttps(req: IncomingMessage): boolean {
  const proto = req.headers['x-forwarded-proto'];
  return (
    (typeof proto === 'string' && proto.split(',')[0].trim() === 'https') ||
    (req.socket as Partial<TLSSocket>).encrypted === true
  );
}

/**
 * `GET /r/{slug}`: the share link. Answers at once with a redirect to the landing page; the
 * click is only buffered (ClickRecorder writes it in batches). A malformed, unknown or disabled
 * slug redirects to the landing page without a code and without a cookie.
 */
@Controller('r')
export class RedirectController {
  private readonly landings = new Map<string, string>();

  constructor(
    private readonly codes: CodeDirectory,
    private readonly clicks: ClickRecorder,
    private readonly clock: Clock,
    @Inject(ReferralsConfig) private readonly config: ReferralsConfig,
  ) {}

  @Get(':slug')
  async follow(@Param('slug') slug: string, @Req() request: object, @Res() reply: object) {
    // Node's request and response, under Express's or Fastify's.
    const req = rawRequest(request);
    const res = rawResponse(reply);
    const code = codeOfSlug(slug);
    const active = code !== undefined && (await this.codes.isActive(code, Date.now()));
    res.setHeader('cache-control', 'no-store');
    if (!active) {
      redirect(res, this.config.LANDING_URL);
      return;
    }
    const secure = isHttps(req) ? '; Secure' : '';
    const cookies: string[] = [];
    let deviceId = presentedDeviceId(req);
    if (deviceId === undefined) {
      deviceId = randomUUID();
      cookies.push(
        `${DEVICE_COOKIE}=${deviceId}; Max-Age=${DEVICE_MAX_AGE_S}; Path=/; HttpOnly; SameSite=Lax${secure}`,
      );
    }
    const clickId = randomUUID();
    const clickedAt = this.clock.now();
    const ip = clientIp(req);
    const userAgent = req.headers['user-agent'];
    this.clicks.record({
      id: clickId,
      code,
      deviceHash: attributionHash(this.config.ATTRIBUTION_HASH_PEPPER, 'device', deviceId),
      ipHash: isPublicClientAddress(ip)
        ? attributionHash(this.config.ATTRIBUTION_HASH_PEPPER, 'ip', ip)
        : null,
      userAgent: typeof userAgent === 'string' ? userAgent.slice(0, 512) : null,
      clickedAt,
    });
    // The cookie carries the click, signed: a signup counts it even before this replica's buffer
    // is written, and even if this replica dies with it unwritten.
    const token = signClickToken(this.config.ATTRIBUTION_HASH_PEPPER, { clickId, code, clickedAt });
    cookies.push(
      `${ATTRIBUTION_COOKIE}=${token}; Max-Age=${ATTRIBUTION_MAX_AGE_S}; Path=/; HttpOnly; SameSite=Lax${secure}`,
    );
    res.setHeader('set-cookie', cookies);
    redirect(res, this.landingFor(code));
  }

  /** The landing page naming the code, built once per code rather than parsed on every click. */
  private landingFor(code: string): string {
    let location = this.landings.get(code);
    if (location === undefined) {
      const landing = new URL(this.config.LANDING_URL);
      landing.searchParams.set('ref', code);
      location = landing.toString();
      if (this.landings.size >= MAX_LANDINGS) this.landings.clear();
      this.landings.set(code, location);
    }
    return location;
  }
}
