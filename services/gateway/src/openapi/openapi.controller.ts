import { Controller, Get, Header, Inject } from '@nestjs/common';
import type { OpenApiDocument } from './openapi-document';
import { renderDocsPage } from './docs-page';

export const OPENAPI_DOCUMENT = Symbol('OPENAPI_DOCUMENT');

/** Serves the API document and its readable page; both public, built once at boot. */
@Controller()
export class OpenApiController {
  private readonly page: string;

  constructor(@Inject(OPENAPI_DOCUMENT) private readonly document: OpenApiDocument) {
    this.page = renderDocsPage(document);
  }

  @Get('openapi.json')
  json(): OpenApiDocument {
    return this.document;
  }

  @Get('docs')
  @Header('content-type', 'text/html; charset=utf-8')
  docs(): string {
    return this.page;
  }
}
