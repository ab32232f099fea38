"""Reports: self-contained HTML pages with plots and thumbnails."""
