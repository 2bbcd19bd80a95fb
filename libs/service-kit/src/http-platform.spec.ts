import { Body, Controller, Get, INestApplication, Param, Post, Req } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { configureHttp } from './bootstrap';
import { httpPlatformOf, rawRequest, ServesHttpOn } from './http-platform';
import { currentRequestId } from './logging/request-context';
import { createTestApp, HTTP_PLATFORMS, initTestApp } from './test-http-app';

@Controller('echo')
class EchoController {
  @Post('json')
  json(@Body() body: unknown, @Req() req: { rawBody?: Buffer }) {
    return { body, raw: req.rawBody?.toString('base64'), requestId: currentRequestId() };
  }

  /** Reads the body itself, as the gateway does for a body no parser touched. */
  @Post('stream')
  async stream(@Req() req: object) {
    const chunks: Buffer[] = [];
    for await (const chunk of rawRequest(req)) chunks.push(chunk as Buffer);
    return { text: Buffer.concat(chunks).toString('utf8') };
  }

  @Get('case/:slug')
  caseOf(@Param('slug') slug: string) {
    return { slug };
  }

  @Get('param/:slug')
  param(@Param('slug') slug: string) {
    return { length: slug.length };
  }
}

describe.each(HTTP_PLATFORMS)('HTTP behaviour on %s', (platform) => {
  let app: INestApplication;
  const http = () => request(app.getHttpServer());

  beforeAll(async () => {
    const ref = await Test.createTestingModule({ controllers: [EchoController] }).compile();
    app = createTestApp(ref, platform);
    configureHttp(app);
    await initTestApp(app);
  });

  afterAll(() => app.close());

  it('keeps the exact bytes of a JSON body beside the parsed one', async () => {
    const sent = Buffer.from('{ "amount" : 1.50,\n  "note": "caf\u00e9 \\u00e9" }\n', 'utf8');
    const res = await http()
      .post('/echo/json')
      .set('content-type', 'application/json')
      .send(sent.toString('utf8'))
      .expect(201);
    expect(Buffer.from(res.body.raw as string, 'base64').equals(sent)).toBe(true);
    expect(res.body.body).toEqual({ amount: 1.5, note: 'café é' });
  });

  it('keeps the request id through a body that arrives after the headers', async () => {
    const res = await http()
      .post('/echo/json')
      .set('x-request-id', 'req-after-body')
      .send({ a: 1 })
      .expect(201);
    expect(res.body.requestId).toBe('req-after-body');
  });

  it('refuses a JSON body over 100kb with 413 PAYLOAD_TOO_LARGE', async () => {
    const res = await http()
      .post('/echo/json')
      .send({ padding: 'x'.repeat(100 * 1024) })
      .expect(413);
    expect(res.body.error).toMatchObject({
      code: 'PAYLOAD_TOO_LARGE',
      message: 'request body is larger than 100kb',
    });
  });

  it('refuses malformed JSON with 400 MALFORMED_REQUEST, and JSON that is not a structure', async () => {
    for (const text of ['{"a":', '"just a string"', '42']) {
      const res = await http()
        .post('/echo/json')
        .set('content-type', 'application/json')
        .send(text)
        .expect(400);
      expect(res.body.error.code).toBe('MALFORMED_REQUEST');
    }
  });

  it('refuses JSON in another charset than UTF-8 as unreadable', async () => {
    const res = await http()
      .post('/echo/json')
      .set('content-type', 'application/json; charset=latin1')
      .send('{"a":1}')
      .expect(400);
    expect(res.body.error.code).toBe('MALFORMED_REQUEST');
    await http()
      .post('/echo/json')
      .set('content-type', 'application/json; charset="UTF-8"')
      .send('{"a":1}')
      .expect(201);
  });

  it('reads an empty JSON body as an empty object', async () => {
    const res = await http()
      .post('/echo/json')
      .set('content-type', 'application/json')
      .send('')
      .expect(201);
    expect(res.body.body).toEqual({});
  });

  it.each(['__proto__', 'constructor'])('refuses a %s key with 422 naming it', async (key) => {
    const res = await http()
      .post('/echo/json')
      .set('content-type', 'application/json')
      .send(`{"${key}":{"admin":true}}`)
      .expect(422);
    expect(res.body.error).toMatchObject({ code: 'VALIDATION_FAILED', field: key });
  });

  it('leaves a body of another type unread for the handler', async () => {
    const res = await http()
      .post('/echo/stream')
      .set('content-type', 'text/plain')
      .send('t=1,v1=abc')
      .expect(201);
    expect(res.body.text).toBe('t=1,v1=abc');
  });

  it('routes a path with a trailing slash or in other letter case as the route', async () => {
    expect((await http().get('/echo/param/abc/').expect(200)).body.length).toBe(3);
    expect((await http().get('/ECHO/Param/AbC').expect(200)).body).toEqual({ length: 3 });
  });

  it('keeps the letter case of path parameters', async () => {
    const res = await http().get('/echo/case/AbC').expect(200);
    expect(res.body.slug).toBe('AbC');
  });

  it('routes a path parameter far longer than 100 characters', async () => {
    const slug = 'a'.repeat(700);
    const res = await http().get(`/echo/param/${slug}`).expect(200);
    expect(res.body.length).toBe(700);
  });
});

describe(httpPlatformOf.name, () => {
  it('is the platform the root module declares, else Express', () => {
    @ServesHttpOn('fastify')
    class FastModule {}
    class PlainModule {}
    expect(httpPlatformOf({ module: FastModule })).toBe('fastify');
    expect(httpPlatformOf(FastModule)).toBe('fastify');
    expect(httpPlatformOf({ module: PlainModule })).toBe('express');
  });
});
