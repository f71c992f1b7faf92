import { defineFormat } from '../dataset-format.js';
import { parseImageArchive } from '../images/image-archive.js';
import { IMAGE_OPTIONS } from '../images/image-options.js';
import { ARCHIVE_READERS } from '../images/readers/index.js';

export const tar = defineFormat({
  name: 'tar',
  kind: 'image',
  mediaTypes: ['application/x-tar', 'application/gzip', 'application/x-gzip', 'application/x-gtar'],
  description:
    'A tar archive of images, plain or gzip-compressed, laid out as a zip archive is: one folder per class.',
  options: IMAGE_OPTIONS,
  parse: (input, options, limits) => parseImageArchive(ARCHIVE_READERS.tar, input, options, limits),
});
