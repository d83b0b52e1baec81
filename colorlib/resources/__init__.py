"""Package data: manifest.csv (the ukiyo-e prints, a pooch registry) and pairs.csv (content/style pairs)."""
