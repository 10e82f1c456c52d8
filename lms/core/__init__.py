"""What every domain uses: extensions, column types, security headers, error pages, templating, dates as text, the PDF renderer, mail transport."""
