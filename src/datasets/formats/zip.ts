import { defineFormat } from '../dataset-format.js';
import { parseImageArchive } from '../images/image-archive.js';
import { IMAGE_OPTIONS } from '../images/image-options.js';
import { ARCHIVE_READERS } from '../images/readers/index.js';

export const zip = defineFormat({
  name: 'zip',
  kind: 'image',
  mediaTypes: ['application/zip', 'application/x-zip-compressed'],
  description:
    'A zip archive of images (JPEG, PNG, WebP, GIF, TIFF, AVIF), one folder per class at its root: the folder is the label.',
  options: IMAGE_OPTIONS,
  parse: (input, options, limits) => parseImageArchive(ARCHIVE_READERS.zip, input, options, limits),
});
