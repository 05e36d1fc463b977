import { Args } from '@oclif/core';
import type { UpdateNewsBody } from '@tiketi/sdk';
import { keysOf } from '../../input.js';
import { writeCommand } from '../../resource-commands.js';

export default writeCommand({
  summary: 'Edit, pin or unpin a news item.',
  examples: [`<%= config.bin %> <%= command.id %> <newsId> --data 'isPinned: true'`],
  access: 'admin',
  args: { newsId: Args.string({ description: 'News ID.', required: true }) },
  writable: keysOf<UpdateNewsBody>()(['title', 'content', 'author', 'isPinned']),
  send: (api, { newsId }, body) => api.news.update(newsId!, body),
  done: (n) => `Updated "${String(n.title)}" (${n.id}).`,
});
