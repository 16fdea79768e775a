import { Controller, Get, Param, Query, StreamableFile } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiProduces, ApiTags, ApiUnprocessableEntityResponse } from '@nestjs/swagger';
import { Readable } from 'node:stream';
import { Roles } from '../auth/auth.decorators';
import { ExportQuery, HistoryQuery } from './dto/history-query';
import { HistoryResponse } from './dto/history.dto';
import { HistoryService } from './history.service';

@ApiTags('lines')
@Controller('api/lines')
@Roles('operator', { anonymousView: true })
export class HistoryController {
  constructor(private readonly history: HistoryService) {}

  @Get(':id/history')
  @ApiOperation({ summary: 'Trend of one metric: min, max and avg per time bucket (at most max_points), raw readings when the range is small' })
  @ApiOkResponse({ type: HistoryResponse })
  @ApiNotFoundResponse({ description: 'Unknown line' })
  @ApiUnprocessableEntityResponse({ description: 'Bad query parameters (`loc` names the parameter)' })
  get(@Param('id') id: string, @Query() q: HistoryQuery): Promise<HistoryResponse> {
    return this.history.history(id, q);
  }

  @Get(':id/export.csv')
  @ApiOperation({ summary: 'Raw readings as CSV, streamed; timestamps ISO-8601 with the offset of the zone `tz`' })
  @ApiProduces('text/csv')
  @ApiNotFoundResponse({ description: 'Unknown line' })
  @ApiUnprocessableEntityResponse({ description: 'Bad query parameters (`loc` names the parameter)' })
  export(@Param('id') id: string, @Query() q: ExportQuery): StreamableFile {
    const csv = this.history.export(id, q);
    return new StreamableFile(Readable.from(csv.chunks), {
      type: 'text/csv; charset=utf-8',
      disposition: `attachment; filename="${csv.filename}"`,
    });
  }
}
