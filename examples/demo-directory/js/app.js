// Builds the gallery index from listings.json: the served HTML holds no listing link at all.
fetch('listings.json')
  .then((response) => response.json())
  .then((listings) => {
    const list = document.createElement('ul');
    for (const listing of listings) {
      const item = document.createElement('li');
      const link = document.createElement('a');
      link.className = 'agent-link';
      link.href = `agent.html?id=${encodeURIComponent(listing.id)}`;
      link.textContent = listing.name;
      item.append(link);
      list.append(item);
    }
    document.getElementById('app').replaceChildren(list);
  });
