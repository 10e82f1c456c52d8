"""What every domain uses: extensions, column types, security headers, error pages, templating, the PDF renderer, mail transport."""
